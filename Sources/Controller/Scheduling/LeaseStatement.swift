import Foundation
import PostgresNIO

/// The lease statement, prepared once per connection: planning it is most of its cost.
///
/// The node must be online with a free slot; candidate tasks are those whose product and tool the node has
/// installed, ranked by aged priority, then by how much the submitting user and the task already run (fair
/// share), then by age. For each candidate in rank order, its next queued case (longest expected first, then
/// submission order) is locked with `SKIP LOCKED`; the first hit is leased, its run recorded, its task marked
/// running.
struct LeaseStatement: PostgresPreparedStatement {
    static let sql = """
        WITH node AS (
            SELECT n.id FROM nodes n
            WHERE n.id = $1 AND n.state = 'online' AND n.revoked_at IS NULL
              AND (SELECT count(*) FROM cases b WHERE b.node_id = n.id AND b.state IN ('leased', 'running')) < n.slots
        ),
        caps AS (
            SELECT np.product_id, nt.tool_id, np.install_path AS product_path, nt.install_path AS tool_path
            FROM node_products np JOIN node_tools nt ON nt.node_product_id = np.id
            WHERE np.node_id = $1 AND np.state = 'installed' AND nt.state = 'installed'
              AND np.product_id IS NOT NULL AND nt.tool_id IS NOT NULL
        ),
        active AS (
            SELECT a.task_id, count(*) AS running FROM cases a
            WHERE a.state IN ('leased', 'running') GROUP BY a.task_id
        ),
        user_active AS (
            SELECT t.submitted_by, sum(a.running) AS running FROM active a JOIN tasks t ON t.id = a.task_id
            GROUP BY t.submitted_by
        ),
        candidates AS MATERIALIZED (
            SELECT t.id AS task_id, c.product_path, c.tool_path
            FROM tasks t
            JOIN caps c ON c.product_id = t.product_id AND c.tool_id = t.tool_id
            CROSS JOIN node
            LEFT JOIN active a ON a.task_id = t.id
            LEFT JOIN user_active u ON u.submitted_by = t.submitted_by
            WHERE t.state IN ('queued', 'running')
            ORDER BY
                t.priority + least(floor(extract(epoch FROM now() - coalesce(t.dispatched_at, t.created_at))
                    / $2), 1000) DESC,
                coalesce(u.running, 0), coalesce(a.running, 0), t.created_at, t.id
        ),
        picked AS (
            SELECT q.id AS case_id, cand.task_id, cand.product_path, cand.tool_path
            FROM candidates cand
            CROSS JOIN LATERAL (
                SELECT k.id FROM cases k
                WHERE k.task_id = cand.task_id AND k.state = 'queued'
                  AND (k.avoid_node_id IS NULL OR k.avoid_node_id <> $1 OR k.avoid_until < now())
                ORDER BY k.expected_ms DESC NULLS FIRST, k.ordinal
                LIMIT 1
                FOR UPDATE SKIP LOCKED
            ) q
            LIMIT 1
        ),
        leased AS (
            UPDATE cases k SET state = 'leased', node_id = $1, current_run_id = $3,
                attempts = k.attempts + 1, leased_at = now(), started_at = NULL, avoid_node_id = NULL,
                avoid_until = NULL, updated_at = now()
            FROM picked p WHERE k.id = p.case_id
            RETURNING k.id, k.task_id, k.name, k.attempts
        ),
        run AS (
            INSERT INTO case_runs (id, case_id, node_id, attempt, lease_token, lease_expires_at)
            SELECT $3, l.id, $1, l.attempts, $5, now() + make_interval(secs => $4)
            FROM leased l
            RETURNING lease_expires_at
        ),
        touched AS (
            UPDATE tasks t SET state = CASE WHEN t.state = 'queued' THEN 'running' ELSE t.state END,
                started_at = coalesce(t.started_at, now()), dispatched_at = now(), updated_at = now()
            FROM leased l
            WHERE t.id = l.task_id
              AND (t.state = 'queued' OR t.dispatched_at IS NULL OR t.dispatched_at < now() - interval '1 second')
            RETURNING t.id
        )
        SELECT l.id, l.name, l.task_id, l.attempts, r.lease_expires_at, p.product_path, p.tool_path,
               pr.name, pr.version, tl.name, tl.version, tl.run_command, t.case_timeout_s
        FROM leased l
        CROSS JOIN run r
        JOIN picked p ON p.case_id = l.id
        JOIN tasks t ON t.id = l.task_id
        JOIN products pr ON pr.id = t.product_id
        JOIN tools tl ON tl.id = t.tool_id
        """

    typealias Row = (Int64, String, Int64, Int, Date, String, String, String, String, String, String, String, Int)

    var nodeID: Int64
    var agingSeconds: Double
    var runID: UUID
    var ttlSeconds: Double
    var token: Int64

    func makeBindings() throws -> PostgresBindings {
        var bindings = PostgresBindings(capacity: 5)
        bindings.append(nodeID)
        bindings.append(agingSeconds)
        bindings.append(runID)
        bindings.append(ttlSeconds)
        bindings.append(token)
        return bindings
    }

    func decodeRow(_ row: PostgresRow) throws -> Row { try row.decode(Row.self) }
}

/// Locks a run and its case and reads what deciding a result needs.
struct ResultLoadStatement: PostgresPreparedStatement {
    static let sql = """
        SELECT r.case_id, r.node_id, r.lease_token, r.outcome, r.exit_code, r.message, k.current_run_id,
               k.task_id, k.attempts, t.max_infra_retries, t.state
        FROM case_runs r JOIN cases k ON k.id = r.case_id JOIN tasks t ON t.id = k.task_id
        WHERE r.id = $1
        FOR UPDATE OF r, k
        """

    typealias Row = (Int64, Int64, Int64, String?, Int?, String?, UUID?, Int64, Int, Int, String)

    var runID: UUID

    func makeBindings() throws -> PostgresBindings {
        var bindings = PostgresBindings(capacity: 1)
        bindings.append(runID)
        return bindings
    }

    func decodeRow(_ row: PostgresRow) throws -> Row { try row.decode(Row.self) }
}

/// Ends a case that is not retried: records the run's outcome, the case's final state, the duration in the
/// history of (product name, tool name, case name) when asked, and clears the node's count of consecutive
/// infrastructure failures. Answers whether the task still has queued cases.
struct ResultFinishStatement: PostgresPreparedStatement {
    static let sql = """
        WITH run AS (
            UPDATE case_runs SET outcome = $2, exit_code = $3, duration_ms = $4, message = $5, ended_at = now()
            WHERE id = $1
            RETURNING case_id
        ),
        finished AS (
            UPDATE cases k SET state = $6, current_run_id = NULL, duration_ms = $4, exit_code = $3, message = $7,
                finished_at = now(), updated_at = now()
            FROM run WHERE k.id = run.case_id
            RETURNING k.task_id, k.name
        ),
        history AS (
            INSERT INTO case_durations (product_name, tool_name, case_name, mean_ms, last_ms, samples)
            SELECT p.name, tl.name, f.name, $4::float8, $4, 1
            FROM finished f JOIN tasks t ON t.id = f.task_id JOIN products p ON p.id = t.product_id
            JOIN tools tl ON tl.id = t.tool_id
            WHERE $8
            ON CONFLICT (product_name, tool_name, case_name) DO UPDATE SET
                mean_ms = case_durations.mean_ms * 0.7 + excluded.mean_ms * 0.3,
                last_ms = excluded.last_ms, samples = case_durations.samples + 1, updated_at = now()
        ),
        health AS (
            UPDATE nodes SET consecutive_infra_failures = 0 WHERE id = $9 AND consecutive_infra_failures > 0
        )
        SELECT EXISTS (SELECT 1 FROM cases q JOIN finished f ON q.task_id = f.task_id WHERE q.state = 'queued')
        """

    typealias Row = Bool

    var runID: UUID
    var status: String
    var exitCode: Int?
    var durationMs: Int64
    var runMessage: String?
    var state: String
    var caseMessage: String?
    var learnDuration: Bool
    var nodeID: Int64

    func makeBindings() throws -> PostgresBindings {
        var bindings = PostgresBindings(capacity: 9)
        bindings.append(runID)
        bindings.append(status)
        bindings.append(exitCode)
        bindings.append(durationMs)
        bindings.append(runMessage)
        bindings.append(state)
        bindings.append(caseMessage)
        bindings.append(learnDuration)
        bindings.append(nodeID)
        return bindings
    }

    func decodeRow(_ row: PostgresRow) throws -> Row { try row.decode(Bool.self) }
}
