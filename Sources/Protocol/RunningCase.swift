import Foundation

public struct RunningCase: Codable, Sendable, Equatable {
    public var caseId: Int64
    public var name: String
    public var taskId: Int64
    public var state: CaseState
    public var leasedAt: Date?

    public init(caseId: Int64, name: String, taskId: Int64, state: CaseState, leasedAt: Date?) {
        self.caseId = caseId
        self.name = name
        self.taskId = taskId
        self.state = state
        self.leasedAt = leasedAt
    }
}
