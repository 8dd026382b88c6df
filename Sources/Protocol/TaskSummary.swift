import Foundation

public struct TaskSummary: Codable, Sendable, Equatable {
    public var id: Int64
    public var name: String
    public var state: TaskState
    public var submittedBy: String?

    public init(id: Int64, name: String, state: TaskState, submittedBy: String? = nil) {
        self.id = id
        self.name = name
        self.state = state
        self.submittedBy = submittedBy
    }
}
