import Foundation

/// A line chart of a product's pass rate across its versions, laid out for an inline SVG: one point per
/// version that has a test result, versions in version order, 0–100 % upwards.
struct PassRateChart: Sendable {
    /// What the chart shows: the case pass rate, or the test pass rate of cases that reported tests.
    enum Metric: String, CaseIterable, Sendable {
        case cases, tests

        var label: String { self == .cases ? "Pass rate" : "Test pass rate" }
    }

    /// A version and its pass rate, with a link to its report.
    struct Entry: Sendable {
        var version: String
        var passRate: Double
        var href: String?
    }

    /// A version as a point of the chart, with its label.
    struct Point: Sendable {
        var x: String
        var y: String
        var version: String
        var rate: String
        var href: String?
        /// Where the version's label goes, under the axis.
        var labelY: String
    }

    /// A horizontal line at a pass rate, with its label.
    struct GridLine: Sendable {
        var y: String
        var label: String
        var labelY: String
    }

    static let width = 640.0
    static let height = 240.0
    static let left = 48.0
    static let right = 20.0
    static let top = 16.0
    static let bottom = 44.0

    var width = Int(Self.width)
    var height = Int(Self.height)
    var left = Int(Self.left)
    var right = Int(Self.width - Self.right)
    var points: [Point]
    var grid: [GridLine]
    /// The `points` attribute of the polyline.
    var line: String
    /// In words, for screen readers.
    var summary: String

    /// The chart, or `nil` when no version has a result.
    init?(_ entries: [Entry], metric: Metric = .cases) {
        guard !entries.isEmpty else { return nil }
        // Points keep clear of the axis labels at both ends.
        let inset = 24.0
        let plotWidth = Self.width - Self.left - Self.right - 2 * inset
        let plotHeight = Self.height - Self.top - Self.bottom
        func format(_ value: Double) -> String { String(format: "%.1f", value) }
        points = entries.enumerated().map { index, entry in
            let x =
                entries.count == 1
                ? Self.left + inset + plotWidth / 2
                : Self.left + inset + plotWidth * Double(index) / Double(entries.count - 1)
            let rate = min(1, max(0, entry.passRate))
            return Point(
                x: format(x),
                y: format(Self.top + (1 - rate) * plotHeight),
                version: entry.version,
                rate: WebFormat.percent(rate),
                href: entry.href,
                labelY: format(Self.height - Self.bottom + 18)
            )
        }
        grid = [0, 25, 50, 75, 100].map { percent in
            let y = Self.top + (1 - Double(percent) / 100) * plotHeight
            return GridLine(y: format(y), label: "\(percent) %", labelY: format(y + 4))
        }
        line = points.map { "\($0.x),\($0.y)" }.joined(separator: " ")
        summary = "\(metric.label) by version: " + points.map { "\($0.version) \($0.rate)" }.joined(separator: ", ")
    }

    /// Versions in the order people read them: `1.2` before `1.10`.
    static func versionOrder(_ a: String, _ b: String) -> Bool {
        a.compare(b, options: [.numeric, .caseInsensitive]) == .orderedAscending
    }
}
