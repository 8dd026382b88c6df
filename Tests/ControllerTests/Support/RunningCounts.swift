import Foundation
import Testing

@testable import testfleet_controller

/// What the controller keeps of running cases as they change — each node's busy slots, the running counts per task
/// and per user — against what the cases say.
enum RunningCounts {
    /// Rows where the kept count and the cases disagree, as `kind id: kept ≠ counted`.
    static func mismatches(database: Database) async throws -> [String] {
        let rows = try await database.query(
            """
            WITH active AS (
                SELECT k.node_id, k.task_id, t.submitted_by FROM cases k JOIN tasks t ON t.id = k.task_id
                WHERE k.state IN ('leased', 'running')
            ),
            nodes_counted AS (
                SELECT 'node' AS kind, n.id, n.busy AS kept, (SELECT count(*) FROM active a WHERE a.node_id = n.id) AS counted
                FROM nodes n
            ),
            kept AS (
                SELECT scope, owner_id, sum(running) AS kept FROM running_counts GROUP BY scope, owner_id
            ),
            counted AS (
                SELECT 'task' AS scope, task_id AS owner_id, count(*) AS counted FROM active GROUP BY task_id
                UNION ALL
                SELECT 'user', submitted_by, count(*) FROM active GROUP BY submitted_by
            )
            SELECT kind, id, kept::bigint, counted::bigint FROM nodes_counted WHERE kept <> counted
            UNION ALL
            SELECT coalesce(k.scope, c.scope), coalesce(k.owner_id, c.owner_id), coalesce(k.kept, 0)::bigint,
                   coalesce(c.counted, 0)::bigint
            FROM kept k FULL JOIN counted c ON c.scope = k.scope AND c.owner_id = k.owner_id
            WHERE coalesce(k.kept, 0) <> coalesce(c.counted, 0)
            """
        ).all()
        return try rows.map { row in
            let (kind, id, kept, counted) = try row.decode((String, Int64, Int64, Int64).self)
            return "\(kind) \(id): kept \(kept) ≠ counted \(counted)"
        }
    }

    /// Expects the kept counts to match the cases.
    static func expectExact(database: Database, sourceLocation: SourceLocation = #_sourceLocation) async throws {
        let wrong = try await mismatches(database: database)
        #expect(wrong.isEmpty, "running counts that do not match the cases: \(wrong.prefix(5))", sourceLocation: sourceLocation)
    }
}
