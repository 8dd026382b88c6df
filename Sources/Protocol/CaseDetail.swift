import Foundation

public struct CaseDetail: Codable, Sendable {
    public var `case`: CaseInfo
    public var task: TaskSummary
    public var runs: [CaseRun]
    /// When the log retention deleted the logs of the case's task.
    public var logsDeletedAt: Date?

    public init(case: CaseInfo, task: TaskSummary, runs: [CaseRun], logsDeletedAt: Date? = nil) {
        self.case = `case`
        self.task = task
        self.runs = runs
        self.logsDeletedAt = logsDeletedAt
    }
}
