import Foundation
import NIOCore
import WireProtocol

/// A case's page: what it is, every attempt (where it ran and how it ended) and the log of one attempt.
struct CasePageView: Sendable {
    /// One attempt of the case.
    struct RunRow: Sendable {
        var attempt: Int
        var node: NodeSummary
        var outcome: String
        var outcomeLabel: String
        var leased: String
        var started: String
        var ended: String
        var duration: String
        var exitCode: String
        var message: String?
        var logSize: String
        var href: String
        var shown: Bool
        var tests: String?
    }

    /// What the task's case table shows of the case.
    var `case`: CaseRow
    var taskID: Int64
    var taskName: String
    var exitCode: String
    var started: String
    var finished: String
    /// The tests of the final attempt in a line, when it reported tests.
    var tests: String?
    var testPassRate: String?
    var runs: [RunRow]
    /// The attempt whose log is shown; `nil` before the first run.
    var shownAttempt: Int?
    var rawLogHref: String
    /// The case ended and its last run's log is complete.
    var settled: Bool
    /// When the log retention deleted the task's logs.
    var logsDeleted: String?
    /// The viewer may cancel the case: it has not ended, and the task is theirs or they are an admin.
    var cancellable: Bool

    /// - Parameter viewer: who looks; the cancel button is offered to those who may use it.
    init(_ detail: CaseDetail, shown: CaseRun?, viewer: Caller) {
        let info = detail.case
        self.case = CaseRow(info)
        taskID = detail.task.id
        taskName = detail.task.name
        exitCode = info.exitCode.map(String.init) ?? "—"
        started = WebFormat.time(info.startedAt)
        finished = WebFormat.time(info.finishedAt)
        tests = info.tests?.summary
        testPassRate = info.tests.map { WebFormat.percent($0.passRate) }
        runs = detail.runs.map { run in
            RunRow(
                attempt: run.attempt,
                node: run.node,
                outcome: run.outcome?.rawValue ?? "running",
                outcomeLabel: run.outcome.map { WebFormat.state($0.rawValue) } ?? "under way",
                leased: WebFormat.time(run.leasedAt),
                started: WebFormat.time(run.startedAt),
                ended: WebFormat.time(run.endedAt),
                duration: WebFormat.duration(run.durationMs),
                exitCode: run.exitCode.map(String.init) ?? "—",
                message: run.message.flatMap { $0.isEmpty ? nil : $0 },
                logSize: WebFormat.bytes(run.logBytes),
                href: "/cases/\(info.id)?attempt=\(run.attempt)",
                shown: run.attempt == shown?.attempt,
                tests: run.tests?.summary
            )
        }
        shownAttempt = shown?.attempt
        rawLogHref = "/api/v1/cases/\(info.id)/log" + (shown.map { "?attempt=\($0.attempt)" } ?? "")
        settled = info.state.isTerminal && (detail.runs.last?.outcome != nil || detail.runs.isEmpty)
        logsDeleted = detail.logsDeletedAt.map { WebFormat.time($0) }
        cancellable = !info.state.isTerminal && viewer.mayOfferChanges(toTaskOf: detail.task.submittedBy ?? "")
    }

    /// The run whose log to show: the asked-for attempt, else the latest; 404 for an attempt the case never had.
    static func run(_ detail: CaseDetail, attempt: Int?) throws -> CaseRun? {
        guard let attempt else { return detail.runs.last }
        guard let run = detail.runs.first(where: { $0.attempt == attempt }) else {
            throw AppError.notFound("case \(detail.case.id) has no attempt \(attempt)")
        }
        return run
    }
}
