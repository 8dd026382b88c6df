import Foundation

public struct CaseInfo: Codable, Sendable {
    public var id: Int64
    public var taskId: Int64
    public var ordinal: Int
    public var name: String
    public var state: CaseState
    public var node: NodeSummary?
    public var attempts: Int
    public var durationMs: Int64?
    public var exitCode: Int?
    public var message: String?
    public var startedAt: Date?
    public var finishedAt: Date?
    /// The tests of the case's final attempt, from its JUnit XML result file; absent when it reported none.
    public var tests: TestCounts?

    public init(
        id: Int64,
        taskId: Int64,
        ordinal: Int,
        name: String,
        state: CaseState,
        node: NodeSummary?,
        attempts: Int,
        durationMs: Int64?,
        exitCode: Int?,
        message: String?,
        startedAt: Date?,
        finishedAt: Date?,
        tests: TestCounts? = nil
    ) {
        self.id = id
        self.taskId = taskId
        self.ordinal = ordinal
        self.name = name
        self.state = state
        self.node = node
        self.attempts = attempts
        self.durationMs = durationMs
        self.exitCode = exitCode
        self.message = message
        self.startedAt = startedAt
        self.finishedAt = finishedAt
        self.tests = tests
    }
}
