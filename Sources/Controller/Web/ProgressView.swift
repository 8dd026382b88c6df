import Foundation
import WireProtocol

/// A stacked progress bar of a task's cases: one segment per state, in a fixed order, with the same figures
/// in words for screen readers and for the table under it.
struct ProgressView: Sendable {
    /// One state's part of the bar.
    struct Segment: Sendable {
        var state: String
        /// CSS width, `12.500%`.
        var width: String
        var count: Int
    }

    /// One state with its count, for the counts table.
    struct Count: Sendable {
        var state: String
        var label: String
        var count: Int
    }

    var segments: [Segment]
    /// Every state with its count, zeros included, for the counts table.
    var counts: [Count]
    var finished: Int
    var total: Int
    var percent: Int
    var summary: String

    /// The order of the bar: finished states first, then what is under way; queued is the empty rest.
    static let order: [CaseState] = [.passed, .failed, .error, .timedOut, .skipped, .cancelled, .running, .leased]

    init(_ counts: CaseCounts) {
        total = counts.total
        finished = counts.finished
        percent = counts.total == 0 ? 0 : counts.finished * 100 / counts.total
        segments = Self.order.compactMap { state in
            let count = counts[state]
            guard count > 0, counts.total > 0 else { return nil }
            return Segment(
                state: state.rawValue,
                width: String(format: "%.3f%%", Double(count) * 100 / Double(counts.total)),
                count: count
            )
        }
        self.counts = ([.queued] + Self.order).map {
            Count(state: $0.rawValue, label: WebFormat.state($0.rawValue), count: counts[$0])
        }
        let parts = ([.queued] + Self.order).filter { counts[$0] > 0 }.map { "\(counts[$0]) \(WebFormat.state($0.rawValue))" }
        summary = "\(counts.finished) of \(counts.total) finished" + (parts.isEmpty ? "" : ": " + parts.joined(separator: ", "))
    }
}
