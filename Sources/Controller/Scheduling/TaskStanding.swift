import Foundation

/// Where a task stands when a slot frees: what ``SchedulingOrder`` compares.
struct TaskStanding: Sendable, Equatable {
    var id: Int64
    var priority: Int
    var createdAt: Date
    /// When a case of the task was last handed out; `nil` before the first.
    var dispatchedAt: Date?
    /// Cases running for the task's submitter (all of their tasks), and for the task itself.
    var userRunning: Int
    var taskRunning: Int
}
