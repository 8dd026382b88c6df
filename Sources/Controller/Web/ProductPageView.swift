import Foundation
import WireProtocol

/// A product's page: the product, its tools (checkboxes for admins), its pass rate across versions, and
/// this version's result history.
struct ProductPageView: Sendable {
    /// A tool as a checkbox: linked to the product or not.
    struct ToolChoice: Sendable {
        var id: Int64
        var label: String
        var linked: Bool
    }

    /// One test result of this version.
    struct ResultRow: Sendable {
        var passRate: String
        var testPassRate: String?
        var tests: String?
        var source: String?
        var when: String
        var reportHref: String?
    }

    /// A version of the product with its current pass rate.
    struct VersionRow: Sendable {
        var id: Int64
        var version: String
        var passRate: String
        var testPassRate: String?
        var current: Bool
    }

    var product: CatalogItemView
    var linked: [ToolView]
    var choices: [ToolChoice]
    var chart: PassRateChart?
    var metric: String
    /// Links that switch the chart between case and test pass rate; shown when some version has tests.
    var metrics: [PageTab]
    var versions: [VersionRow]
    var history: [ResultRow]
    var isAdmin: Bool
    var error: String?

    /// `results` holds every version of the product's name with its test result.
    init(
        product: Product,
        linked: [Tool],
        allTools: [Tool],
        results: [(Product, TestResult)],
        isAdmin: Bool,
        error: String? = nil,
        metric: PassRateChart.Metric = .cases
    ) {
        self.product = CatalogItemView(product)
        self.linked = linked.map(ToolView.init)
        let linkedIDs = Set(linked.map(\.id))
        choices = allTools.sorted { ($0.name, $0.version) < ($1.name, $1.version) }.map {
            ToolChoice(id: $0.id, label: "\($0.name) \($0.version)", linked: linkedIDs.contains($0.id))
        }
        let ordered = results.sorted { PassRateChart.versionOrder($0.0.version, $1.0.version) }
        chart = PassRateChart(
            ordered.compactMap { version, result in
                (metric == .cases ? result.passRate : result.testPassRate).map {
                    PassRateChart.Entry(version: version.version, passRate: $0, href: Self.reportHref(result.history.first))
                }
            },
            metric: metric
        )
        self.metric = metric.label
        let hasTests = results.contains { $0.1.testPassRate != nil }
        metrics =
            !hasTests
            ? []
            : PassRateChart.Metric.allCases.map {
                PageTab(label: $0.label, href: "/products/\(product.id)?chart=\($0.rawValue)", current: $0 == metric)
            }
        versions = ordered.map { version, result in
            VersionRow(
                id: version.id,
                version: version.version,
                passRate: WebFormat.percent(result.passRate),
                testPassRate: result.testPassRate.map { WebFormat.percent($0) },
                current: version.id == product.id
            )
        }
        history = (results.first { $0.0.id == product.id }?.1.history ?? []).map {
            ResultRow(
                passRate: WebFormat.percent($0.passRate),
                testPassRate: $0.testPassRate.map { WebFormat.percent($0) },
                tests: $0.tests?.summary,
                source: $0.source,
                when: WebFormat.time($0.updatedAt),
                reportHref: Self.reportHref($0)
            )
        }
        self.isAdmin = isAdmin
        self.error = error
    }

    /// The web report of the task a result came from; else the URL the result names when it is a web address
    /// (never a `javascript:` one).
    static func reportHref(_ entry: TestResultEntry?) -> String? {
        guard let entry else { return nil }
        if let task = entry.taskId { return "/tasks/\(task)/report" }
        guard let url = entry.reportUrl else { return nil }
        let lowered = url.lowercased()
        let web = lowered.hasPrefix("https://") || lowered.hasPrefix("http://") || WebRedirect.safeTarget(url) == url
        return web ? url : nil
    }
}
