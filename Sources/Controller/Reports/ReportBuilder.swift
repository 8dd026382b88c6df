import Foundation
import WireProtocol

/// Builds a task's report from its cases: pure, so every figure can be checked without a database.
struct ReportBuilder {
    /// The baseline task's outcome per case name.
    struct Baseline: Sendable {
        var taskID: Int64
        var version: String
        var states: [String: CaseState]
    }

    var task: TaskInfo
    var cases: [TaskReport.CaseEntry]
    /// Attempts its agents handed back as they shut down, by case id: they did not fail.
    var handBacks: [Int64: Int] = [:]
    var baseline: Baseline?
    /// Case names whose last runs (this task included) both passed and failed.
    var flippedCases: [String] = []
    var generatedAt: Date
    var slowestCount = 10

    static func reportPath(taskID: Int64) -> String { "/api/v1/tasks/\(taskID)/report" }
    static func logPath(caseID: Int64) -> String { "/api/v1/cases/\(caseID)/log" }

    func build() -> TaskReport {
        var counts = CaseCounts()
        var byNode: [Int64: TaskReport.NodeBreakdown] = [:]
        var durations: [Int64] = []
        for row in cases {
            counts[row.state] += 1
            counts.total += 1
            if let duration = row.durationMs, row.state != .cancelled { durations.append(duration) }
            if let node = row.node {
                var entry = byNode[node.id] ?? .init(node: node, counts: CaseCounts(), durationMs: 0)
                entry.counts[row.state] += 1
                entry.counts.total += 1
                entry.durationMs += row.durationMs ?? 0
                byNode[node.id] = entry
            }
        }
        durations.sort()
        let failing: Set<CaseState> = [.failed, .error, .timedOut]
        let failures = cases.filter { failing.contains($0.state) }
        let slowest = cases.filter { $0.durationMs != nil && $0.state != .cancelled }
            .sorted { ($0.durationMs!, $1.caseId) > ($1.durationMs!, $0.caseId) }
            .prefix(slowestCount)
        let passedOnRetry = cases.filter { $0.state == .passed && $0.attempts - handBacks[$0.caseId, default: 0] > 1 }
        var flaky = passedOnRetry.map { TaskReport.FlakyCase(name: $0.name, reason: "passed on attempt \($0.attempts)") }
        let retried = Set(flaky.map(\.name))
        flaky += flippedCases.filter { !retried.contains($0) }.sorted()
            .map { TaskReport.FlakyCase(name: $0, reason: "passed and failed across its recent runs") }
        let wall = task.startedAt.flatMap { start in
            task.finishedAt.map { Int64(($0.timeIntervalSince(start) * 1000).rounded()) }
        }
        return TaskReport(
            taskId: task.id,
            taskName: task.name,
            state: task.state,
            product: task.product,
            tool: task.tool,
            submittedBy: task.submittedBy,
            createdAt: task.createdAt,
            startedAt: task.startedAt,
            finishedAt: task.finishedAt,
            generatedAt: generatedAt,
            counts: counts,
            passRate: Self.passRate(counts),
            durations: .init(
                sumMs: durations.reduce(0, +),
                medianMs: Self.percentile(durations, 0.5),
                p95Ms: Self.percentile(durations, 0.95),
                maxMs: durations.last
            ),
            wallTimeMs: wall,
            nodes: byNode.values.sorted { $0.node.name < $1.node.name },
            failures: failures,
            slowest: Array(slowest),
            passedOnRetry: passedOnRetry,
            flaky: flaky,
            baseline: baseline.map { TaskReport.Baseline(taskId: $0.taskID, version: $0.version) },
            comparison: baseline.map(compare),
            reportUrl: Self.reportPath(taskID: task.id)
        )
    }

    /// passed / (passed + failed + error + timed_out), or `nil` when nothing counted.
    static func passRate(_ counts: CaseCounts) -> Double? {
        let denominator = counts.passed + counts.failed + counts.error + counts.timedOut
        return denominator == 0 ? nil : Double(counts.passed) / Double(denominator)
    }

    /// The nearest-rank percentile of sorted values.
    static func percentile(_ sorted: [Int64], _ fraction: Double) -> Int64? {
        guard !sorted.isEmpty else { return nil }
        let rank = Int((fraction * Double(sorted.count)).rounded(.up))
        return sorted[min(max(rank, 1), sorted.count) - 1]
    }

    private func compare(_ baseline: Baseline) -> TaskReport.Comparison {
        let failing: Set<CaseState> = [.failed, .error, .timedOut]
        var newlyFailing: [String] = []
        var newlyPassing: [String] = []
        var newCases: [String] = []
        var current: Set<String> = []
        for row in cases {
            current.insert(row.name)
            guard let before = baseline.states[row.name] else {
                newCases.append(row.name)
                continue
            }
            if before == .passed && failing.contains(row.state) { newlyFailing.append(row.name) }
            if failing.contains(before) && row.state == .passed { newlyPassing.append(row.name) }
        }
        let missing = baseline.states.keys.filter { !current.contains($0) }.sorted()
        return .init(
            baselineTaskId: baseline.taskID,
            baselineVersion: baseline.version,
            newlyFailing: newlyFailing,
            newlyPassing: newlyPassing,
            newCases: newCases,
            missingCases: missing
        )
    }
}
