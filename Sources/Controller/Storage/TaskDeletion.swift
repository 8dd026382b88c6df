import Foundation
import PostgresNIO

/// Deletes finished tasks with their cases, runs, logs and report, and removes the logs of old ones. The
/// product's test-result history keeps its rows; a report link of a deleted task answers 410.
///
/// Only finished tasks go: completed or cancelled, with no case still leased or running (a cancelled task's
/// running cases end when their agents have stopped them). Their cases are touched by nothing else, so deleting
/// them takes no lock that leasing waits for.
enum TaskDeletion {
    /// Whether task `t` is finished and may be deleted.
    static func finished(_ t: String) -> String {
        """
        \(t).state IN ('completed', 'cancelled') AND (SELECT 1 FROM cases a WHERE a.task_id = \(t).id
            AND a.state IN ('leased', 'running') LIMIT 1) IS NULL
        """
    }

    /// Deletes task `id` with what its rows hold (the cases, runs, logs and report go with it) and its running
    /// counts, which are all zero once it finished.
    static func deleteRow(taskID id: Int64, transaction: Transaction) async throws {
        try await transaction.query("DELETE FROM running_counts WHERE scope = 'task' AND owner_id = \(id)")
        try await transaction.query("DELETE FROM tasks WHERE id = \(id)")
    }

    /// One batch of the log sweep: up to `limit` log chunks of the oldest finished task that finished before
    /// `cutoffDays` ago and still has its logs. A task with none left is marked as swept. Returns the chunks
    /// deleted, and whether there was such a task.
    static func sweepLogs(cutoffDays: Double, limit: Int, session: Session) async throws -> (deleted: Int, found: Bool) {
        let row = try await session.query(
            """
            WITH due AS (
                SELECT t.id FROM tasks t
                WHERE t.state IN ('completed', 'cancelled') AND t.logs_deleted_at IS NULL
                  AND t.finished_at < now() - make_interval(secs => \(cutoffDays * 86400))
                  AND \(unescaped: finished("t"))
                ORDER BY t.finished_at LIMIT 1
            ),
            chunks AS (
                SELECT l.run_id, l.byte_offset FROM due
                JOIN cases k ON k.task_id = due.id JOIN case_runs r ON r.case_id = k.id JOIN case_logs l ON l.run_id = r.id
                LIMIT \(limit)
            ),
            gone AS (
                DELETE FROM case_logs l USING chunks c WHERE l.run_id = c.run_id AND l.byte_offset = c.byte_offset
                RETURNING 1
            ),
            swept AS (
                UPDATE tasks t SET logs_deleted_at = now() FROM due
                WHERE t.id = due.id AND NOT EXISTS (SELECT 1 FROM chunks)
            )
            SELECT (SELECT count(*) FROM gone)::int, EXISTS (SELECT 1 FROM due)
            """
        ).first()
        let (deleted, found) = try row?.decode((Int, Bool).self) ?? (0, false)
        return (deleted, found)
    }

    /// One batch of the task sweep: up to `limit` cases of the oldest finished task that finished before
    /// `cutoffDays` ago, or, once it has none, the task itself. Returns the cases deleted and the task when it
    /// went; `nil` when no task is due.
    static func sweepTasks(cutoffDays: Double, limit: Int, session: Session) async throws -> (cases: Int, task: Int64?)? {
        guard
            let due = try await session.query(
                """
                SELECT t.id FROM tasks t
                WHERE t.state IN ('completed', 'cancelled')
                  AND t.finished_at < now() - make_interval(secs => \(cutoffDays * 86400))
                  AND \(unescaped: finished("t"))
                ORDER BY t.finished_at LIMIT 1
                """
            ).collect(Int64.self).first
        else { return nil }
        // A large task goes a batch of cases at a time (their runs and logs with them), so that no statement
        // holds its locks and writes for long.
        let cases =
            try await session.query(
                """
                WITH gone AS (
                    DELETE FROM cases WHERE id IN (SELECT id FROM cases WHERE task_id = \(due) LIMIT \(limit)) RETURNING 1
                )
                SELECT count(*)::int FROM gone
                """
            ).collect(Int.self).first ?? 0
        if cases > 0 { return (cases, nil) }
        try await session.transaction { transaction in try await deleteRow(taskID: due, transaction: transaction) }
        return (0, due)
    }
}
