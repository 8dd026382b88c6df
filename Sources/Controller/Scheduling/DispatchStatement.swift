import Foundation
import PostgresNIO

/// One round trip for the common turn of a node: end its run (when one is given) and lease it its next case
/// (when asked), in one statement with one commit. Prepared once per connection.
///
/// Ending takes only the common path: a result that is not an infrastructure error, for a run still open under
/// its token and not being cancelled, of a task that is not cancelled and still has queued cases (so this is not the task's last case),
/// with a log tail that continues the stored log within its limit. Anything else ends nothing (`ended` is 0) and
/// ``LeaseStore`` takes the long way. A lease is only made when the run ended (or none was given). A result with
/// tests runs it in a transaction that stores them after it.
///
/// Leasing follows ``SchedulingSQL``: the node's row is locked first, so its busy slots are exact; a run that ends
/// in the same statement frees its slot and no longer counts for fair share. Its time is the scheduling clock's
/// (`$20`).
struct DispatchStatement: PostgresPreparedStatement {
    /// The name it is prepared under on each connection. Given, not left to the default, which works the type's
    /// name out by reflection on every run.
    static let name = "testfleet_dispatch"

    private static let clockNow = SchedulingSQL.now("$20")

    static let sql = """
        WITH node AS (
            -- Parameters that may be NULL carry their type: the statement is prepared with whichever comes first.
            SELECT n.id, n.state, n.revoked_at, n.busy, n.slots, n.labels FROM nodes n WHERE n.id = $1 FOR NO KEY UPDATE
        ),
        ending AS (
            SELECT r.id AS run_id, r.case_id, k.task_id, k.name AS case_name, t.submitted_by, t.product_id, t.tool_id
            FROM node
            JOIN case_runs r ON r.node_id = node.id
            JOIN cases k ON k.id = r.case_id
            JOIN tasks t ON t.id = k.task_id
            WHERE r.id = $2 AND r.lease_token = $3 AND r.outcome IS NULL AND k.current_run_id = r.id
              AND t.state <> 'cancelled' AND r.cancel_requested_at IS NULL
              AND \(SchedulingSQL.hasQueuedCase(task: "k.task_id"))
        ),
        finished_run AS (
            -- The guards again on the row as it is now: a statement that waited for the node's lock sees older rows.
            -- The run is found by its key, `$2`: joined only through `ending`, the plan read every run of the node.
            UPDATE case_runs r SET \(EndingSQL.runEnded(outcome: "$4", exitCode: "$5::bigint", durationMs: "$6", message: "$7::text", now: clockNow)),
                log_bytes = r.log_bytes + length($11::bytea), next_run_id = CASE WHEN $19 THEN $14::uuid END
            FROM ending e
            WHERE r.id = $2 AND r.id = e.run_id AND r.node_id = $1 AND r.lease_token = $3 AND r.outcome IS NULL
              AND r.log_bytes = coalesce($10::bigint, r.log_bytes) AND r.log_bytes + length($11::bytea) <= $12
            RETURNING r.id, r.case_id
        ),
        ended AS (
            UPDATE cases k SET \(EndingSQL.caseEnded(state: "$8", durationMs: "$6", exitCode: "$5::bigint", message: "$9::text", now: clockNow))
            FROM finished_run f JOIN ending e ON e.run_id = f.id
            WHERE k.id = f.case_id AND k.current_run_id = f.id
            RETURNING e.task_id, e.submitted_by, e.case_name, e.product_id, e.tool_id
        ),
        logged AS (
            INSERT INTO case_logs (run_id, byte_offset, data)
            SELECT f.id, $10::bigint, $11::bytea FROM finished_run f WHERE length($11::bytea) > 0
        ),
        learned AS (
            \(EndingSQL.learnDuration(
                """
                SELECT p.name, tl.name, e.case_name, $6::float8, $6, 1, \(clockNow)
                FROM ended e JOIN products p ON p.id = e.product_id JOIN tools tl ON tl.id = e.tool_id
                WHERE $18
                """))
        ),
        free AS (
            SELECT node.id, node.labels FROM node
            WHERE $13 AND \(SchedulingSQL.nodeMayLease("node"))
              AND node.busy - (SELECT count(*) FROM ended) < node.slots
              AND ($2::uuid IS NULL OR EXISTS (SELECT 1 FROM ended))
        ),
        candidates AS MATERIALIZED (
            SELECT t.id AS task_id, t.submitted_by, np.install_path AS product_path, nt.install_path AS tool_path
            FROM free
            \(SchedulingSQL.installedPairs(node: "free.id"))
            \(SchedulingSQL.runnableTasks(labels: "free.labels"))
            ORDER BY \(SchedulingSQL.taskOrder(aging: "$17", ending: "ended", now: clockNow))
        ),
        picked AS (
            SELECT q.id AS case_id, c.task_id, c.submitted_by, c.product_path, c.tool_path
            FROM candidates c
            CROSS JOIN LATERAL (
                SELECT k.id FROM cases k
                WHERE k.task_id = c.task_id AND \(SchedulingSQL.mayTake("k", node: "$1", now: clockNow))
                ORDER BY \(SchedulingSQL.caseOrder("k"))
                LIMIT 1
                FOR UPDATE SKIP LOCKED
            ) q
            LIMIT 1
        ),
        leased AS (
            UPDATE cases k SET state = 'leased', node_id = $1, current_run_id = $14, attempts = k.attempts + 1,
                leased_at = \(clockNow), started_at = NULL, avoid_node_id = NULL, avoid_until = NULL, updated_at = \(clockNow)
            FROM picked p WHERE k.id = p.case_id
            RETURNING k.id, k.task_id, k.name, k.attempts, p.submitted_by, p.product_path, p.tool_path
        ),
        run AS (
            INSERT INTO case_runs (id, case_id, node_id, attempt, lease_token, leased_at, lease_expires_at)
            SELECT $14, l.id, $1, l.attempts, $15, \(clockNow), \(clockNow) + make_interval(secs => $16) FROM leased l
            RETURNING lease_expires_at
        ),
        touched AS (
            \(SchedulingSQL.touchTasks(leased: "leased", now: clockNow))
        ),
        changes AS (
            SELECT scope, owner_id, \(SchedulingSQL.shard(of: "$1")) AS shard, sum(delta)::int AS delta FROM (
                SELECT 'task' AS scope, e.task_id AS owner_id, -1 AS delta FROM ended e
                UNION ALL SELECT 'user', e.submitted_by, -1 FROM ended e
                UNION ALL SELECT 'task', l.task_id, 1 FROM leased l
                UNION ALL SELECT 'user', l.submitted_by, 1 FROM leased l
            ) d
            GROUP BY scope, owner_id
        ),
        counted AS (
            \(SchedulingSQL.applyCounts("changes"))
        ),
        node_counted AS (
            UPDATE nodes n SET busy = n.busy + (SELECT count(*) FROM leased) - (SELECT count(*) FROM ended),
                consecutive_infra_failures = CASE WHEN EXISTS (SELECT 1 FROM ended) THEN 0
                    ELSE n.consecutive_infra_failures END
            WHERE n.id = $1
              AND ((SELECT count(*) FROM leased) <> (SELECT count(*) FROM ended)
                   OR (n.consecutive_infra_failures > 0 AND EXISTS (SELECT 1 FROM ended)))
        )
        SELECT (SELECT count(*) FROM ended)::int, \(LeaseColumns.sql)
        FROM (SELECT 1) one
        LEFT JOIN (
            leased l CROSS JOIN run r JOIN tasks t ON t.id = l.task_id
            JOIN products pr ON pr.id = t.product_id JOIN tools tl ON tl.id = t.tool_id
        ) ON true
        """

    /// Whether the run ended, then the leased case (``LeaseColumns``, absent when nothing was leased).
    typealias Row = (ended: Bool, lease: LeaseColumns?)

    /// The run to end and how, on the common path.
    struct Ending: Sendable {
        var runID: UUID
        var token: Int64
        var outcome: String
        var exitCode: Int?
        var durationMs: Int64
        var runMessage: String?
        var caseState: String
        var caseMessage: String?
        var learnDuration: Bool
        /// Where the log tail that comes with the result starts; `nil` when none comes.
        var logOffset: Int64?
        var log: ByteBuffer
    }

    var nodeID: Int64
    var ending: Ending?
    /// Whether to lease the node its next case.
    var leaseNext: Bool
    /// Whether the ended run records `runID` as the lease handed out with the answer to its result.
    var recordNext: Bool
    var runID: UUID
    var token: Int64
    var ttlSeconds: Double
    var agingSeconds: Double
    var maxLogBytes: Int64
    var now: SchedulingClock.Now

    func makeBindings() throws -> PostgresBindings {
        var bindings = PostgresBindings(capacity: 20)
        bindings.append(nodeID)
        bindings.append(ending?.runID)
        bindings.append(ending?.token ?? 0)
        bindings.append(ending?.outcome ?? "")
        bindings.append(ending?.exitCode)
        bindings.append(ending?.durationMs ?? 0)
        bindings.append(ending?.runMessage)
        bindings.append(ending?.caseState ?? "")
        bindings.append(ending?.caseMessage)
        bindings.append(ending?.logOffset)
        bindings.append(ending?.log ?? ByteBuffer())
        bindings.append(maxLogBytes)
        bindings.append(leaseNext)
        bindings.append(runID)
        bindings.append(token)
        bindings.append(ttlSeconds)
        bindings.append(agingSeconds)
        bindings.append(ending?.learnDuration ?? false)
        bindings.append(recordNext)
        bindings.append(now.instant)
        return bindings
    }

    func decodeRow(_ row: PostgresRow) throws -> Row {
        let columns = row.makeRandomAccess()
        return (try columns[0].decode(Int.self) > 0, try LeaseColumns(columns, from: 1))
    }
}
