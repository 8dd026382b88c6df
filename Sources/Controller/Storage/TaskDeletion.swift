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

    /// The oldest finished task that finished before `cutoffDays` ago and still has its logs.
    static func dueForLogSweep(cutoffDays: Double, session: Session) async throws -> Int64? {
        try await session.query(
            """
            SELECT t.id FROM tasks t
            WHERE t.state IN ('completed', 'cancelled') AND t.logs_deleted_at IS NULL
              AND t.finished_at < now() - make_interval(secs => \(cutoffDays * 86400))
              AND \(unescaped: finished("t"))
            ORDER BY t.finished_at LIMIT 1
            """
        ).collect(Int64.self).first
    }

    /// One batch of the log sweep: the log chunks of the runs of task `taskID`'s next `limit` cases after ordinal
    /// `after`. Returns the chunks deleted and the last ordinal the batch reached; once none is left, the task is
    /// marked as swept and the ordinal is `nil`.
    static func sweepLogs(taskID: Int64, after: Int, limit: Int, session: Session) async throws -> (deleted: Int, last: Int?) {
        let row = try await session.query(
            """
            WITH batch AS (
                SELECT id, ordinal FROM cases WHERE task_id = \(taskID) AND ordinal > \(after) ORDER BY ordinal LIMIT \(limit)
            ),
            gone AS (
                DELETE FROM case_logs l USING case_runs r, batch b WHERE r.case_id = b.id AND l.run_id = r.id RETURNING 1
            ),
            swept AS (
                UPDATE tasks SET logs_deleted_at = now() WHERE id = \(taskID) AND NOT EXISTS (SELECT 1 FROM batch)
            )
            SELECT (SELECT count(*) FROM gone)::int, (SELECT max(ordinal) FROM batch)
            """
        ).first()
        let (deleted, last) = try row?.decode((Int, Int?).self) ?? (0, nil)
        return (deleted, last)
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
