import Foundation
import Logging
import PostgresNIO
import WireProtocol

/// Ends a task when its last case ends, and writes its report in the same transaction.
///
/// Finishers of one task run concurrently; while queued cases remain nothing is locked. At the tail, each
/// finisher locks the task row and looks again with a fresh snapshot, so exactly the last one completes it.
struct TaskCompletion: Sendable {
    let reports: ReportStore
    let clock: SchedulingClock
    let logger: Logger

    func completeIfDone(taskID: Int64, transaction: Transaction) async throws {
        let queuedLeft =
            try await transaction.query(
                "SELECT \(unescaped: SchedulingSQL.hasQueuedCase(task: String(taskID)))"
            ).collect(Bool.self).first ?? false
        if queuedLeft { return }
        guard
            let state = try await transaction.query(
                "SELECT state FROM tasks WHERE id = \(taskID) FOR UPDATE"
            ).collect(String.self).first
        else { return }
        let unfinished =
            try await transaction.query(
                """
                SELECT EXISTS (SELECT 1 FROM cases WHERE task_id = \(taskID) AND state IN ('queued', 'leased', 'running'))
                """
            ).collect(Bool.self).first ?? true
        if unfinished { return }
        if state == TaskState.queued.rawValue || state == TaskState.running.rawValue {
            let now = clock.now
            try await transaction.query(
                """
                UPDATE tasks SET state = 'completed', finished_at = \(now), updated_at = \(now) WHERE id = \(taskID)
                """
            )
        }
        // Every case has ended, so the task's running counts are all zero.
        try await transaction.query("DELETE FROM running_counts WHERE scope = 'task' AND owner_id = \(taskID)")
        try await reports.write(taskID: taskID, transaction: transaction)
    }
}
