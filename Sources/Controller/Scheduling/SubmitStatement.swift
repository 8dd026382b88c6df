import Foundation
import PostgresNIO

/// Stores a task with all its cases and tells waiting agents, in one statement: one round trip, atomic, and the
/// notification is delivered when it commits. Nothing is stored when the tool is not linked to the product.
///
/// Lease requests of this controller waiting for the task's product and tool can be handed a case in the same
/// statement (their nodes in `$1`, the run id and fencing token of each in `$2` and `$3`): in that order, each
/// node that may lease (``SchedulingSQL``), has the product and tool installed and every label of the task, and
/// has nothing else queued it could run, case or install job, gets one of the cases the lease statement would
/// pick first, leased as the lease statement leases: its slot and the running counts are taken too. The
/// notification counts the cases left queued, or wakes every waiter for them when the task has labels
/// (``Notifications/work(_:count:labelled:)``). Its time is the scheduling clock's (`$20`): the task's age, from
/// which its priority grows, starts at it.
struct SubmitStatement: PostgresPreparedStatement {
    /// The name it is prepared under on each connection. Given, not left to the default, which works the type's
    /// name out by reflection on every run.
    static let name = "testfleet_submit"

    private static let clockNow = SchedulingSQL.now("$20")

    static let sql = """
        WITH locked AS (
            -- The claimed nodes' rows, in one order: their busy slots are exact while this statement runs.
            SELECT n.id, n.busy, n.slots, n.labels FROM nodes n
            WHERE n.id = ANY($1::bigint[]) AND \(SchedulingSQL.nodeMayLease("n"))
            ORDER BY n.id
            FOR NO KEY UPDATE
        ),
        candidate AS (
            SELECT DISTINCT ON (h.rank) h.node_id, h.run_id, h.token, h.rank, np.install_path AS product_path,
                nt.install_path AS tool_path
            FROM unnest($1::bigint[], $2::uuid[], $3::bigint[])
                WITH ORDINALITY AS h(node_id, run_id, token, rank)
            JOIN locked n ON n.id = h.node_id
            \(SchedulingSQL.installedPairs(node: "n.id"))
            WHERE np.product_id = $4::bigint AND nt.tool_id = $5::bigint AND n.busy < n.slots
              AND \(SchedulingSQL.hasLabels("n.labels", for: "$18::text[]"))
              -- The new task's case is the lease statement's pick only when nothing else waits for the node, and
              -- its environment's changes go before cases.
              AND NOT \(SchedulingSQL.hasQueuedWork(node: "n.id", labels: "n.labels", now: clockNow))
              AND (SELECT 1 FROM install_jobs j WHERE j.node_id = n.id AND j.state = 'queued' LIMIT 1) IS NULL
            ORDER BY h.rank, np.id, nt.id
            LIMIT $6::bigint
        ), hand AS (
            SELECT c.*, row_number() OVER (ORDER BY c.rank) AS pick FROM candidate c
        ), task AS (
            INSERT INTO tasks (name, product_id, tool_id, submitted_by, priority, case_timeout_s, max_infra_retries, case_count,
                labels, rerun_of, state, started_at, dispatched_at, created_at)
            SELECT $7::text, $4::bigint, $5::bigint, $8::bigint, $9::bigint,
                   $10::bigint, $11::bigint, $6::bigint, $18::text[], $19::bigint,
                   CASE WHEN handing THEN 'running' ELSE 'queued' END,
                   CASE WHEN handing THEN \(clockNow) END, CASE WHEN handing THEN \(clockNow) END, \(clockNow)
            FROM (SELECT EXISTS (SELECT 1 FROM hand) AS handing) h
            WHERE EXISTS (SELECT 1 FROM product_tools WHERE product_id = $4::bigint AND tool_id = $5::bigint)
            RETURNING id, created_at
        ), picked AS (
            -- The lease statement's order of cases, on the cases as submitted.
            SELECT u.ordinal, u.name, row_number() OVER (ORDER BY \(SchedulingSQL.caseOrder("u"))) AS pick
            FROM (
                SELECT v.ordinal, v.name, d.mean_ms::bigint AS expected_ms
                FROM unnest($12::text[]) WITH ORDINALITY AS v(name, ordinal)
                LEFT JOIN case_durations d ON d.product_name = $13::text
                    AND d.tool_name = $14::text AND d.case_name = v.name
            ) u
            ORDER BY \(SchedulingSQL.caseOrder("u"))
            LIMIT (SELECT count(*) FROM hand)
        ), assigned AS (
            SELECT p.ordinal, p.name, h.node_id, h.run_id, h.token, h.product_path, h.tool_path
            FROM picked p JOIN hand h ON h.pick = p.pick
        ), queued AS (
            INSERT INTO cases (task_id, ordinal, name, expected_ms, state, node_id, current_run_id, attempts, leased_at)
            SELECT task.id, u.ordinal, u.name, d.mean_ms::bigint,
                   CASE WHEN a.run_id IS NULL THEN 'queued' ELSE 'leased' END, a.node_id, a.run_id,
                   CASE WHEN a.run_id IS NULL THEN 0 ELSE 1 END, CASE WHEN a.run_id IS NOT NULL THEN \(clockNow) END
            FROM task
            CROSS JOIN unnest($12::text[]) WITH ORDINALITY AS u(name, ordinal)
            LEFT JOIN case_durations d ON d.product_name = $13::text
                AND d.tool_name = $14::text AND d.case_name = u.name
            LEFT JOIN assigned a ON a.ordinal = u.ordinal
            RETURNING id, current_run_id
        ), runs AS (
            INSERT INTO case_runs (id, case_id, node_id, attempt, lease_token, leased_at, lease_expires_at)
            SELECT a.run_id, q.id, a.node_id, 1, a.token, \(clockNow), \(clockNow) + make_interval(secs => $15::float8)
            FROM queued q JOIN assigned a ON a.run_id = q.current_run_id
            RETURNING id, case_id, lease_expires_at
        ), busy AS (
            UPDATE nodes n SET busy = n.busy + 1 FROM assigned a WHERE n.id = a.node_id
        ), changes AS (
            SELECT 'task' AS scope, task.id AS owner_id, \(SchedulingSQL.shard(of: "a.node_id")) AS shard,
                   count(*)::int AS delta
            FROM task CROSS JOIN assigned a GROUP BY 1, 2, 3
            UNION ALL
            SELECT 'user', $8::bigint, \(SchedulingSQL.shard(of: "a.node_id")), count(*)::int
            FROM assigned a GROUP BY 1, 2, 3
        ), counted AS (
            \(SchedulingSQL.applyCounts("changes"))
        ), notified AS (
            SELECT pg_notify($16::text, $17::text || CASE WHEN cardinality($18::text[]) > 0 AND l.left_queued > 0
                THEN '\(Notifications.everyWaiter)' ELSE l.left_queued::text END)
            FROM task, (SELECT $6::bigint - (SELECT count(*) FROM assigned) AS left_queued) l
        )
        SELECT task.id, task.created_at, a.node_id, r.id, a.token, r.case_id, a.name, r.lease_expires_at,
               a.product_path, a.tool_path
        FROM task CROSS JOIN notified
        LEFT JOIN runs r ON true
        LEFT JOIN assigned a ON a.run_id = r.id
        """

    /// The task's id and creation time, then, for each case handed out, the node, run id, token, case id and
    /// name, expiry and install paths (`NULL`s when none was).
    typealias Row = (Int64, Date, Int64?, UUID?, Int64?, Int64?, String?, Date?, String?, String?)

    /// Larger submissions are planned for their size instead (see ``TaskRepository/store(_:userID:handoff:)``).
    static let preparedCaseLimit = 1000

    var task: TaskRepository.Validated
    var userID: Int64
    var handoff: TaskRepository.Handoff
    var now: SchedulingClock.Now

    func makeBindings() throws -> PostgresBindings {
        var bindings = PostgresBindings(capacity: 20)
        bindings.append(handoff.nodes)
        bindings.append(handoff.runIDs)
        bindings.append(handoff.tokens)
        bindings.append(task.product.id)
        bindings.append(task.tool.id)
        bindings.append(task.cases.count)
        bindings.append(task.name)
        bindings.append(userID)
        bindings.append(task.priority)
        bindings.append(task.caseTimeoutS)
        bindings.append(task.maxInfraRetries)
        bindings.append(task.cases)
        bindings.append(task.product.name)
        bindings.append(task.tool.name)
        bindings.append(handoff.ttlSeconds)
        bindings.append(Notifications.channel)
        bindings.append(Notifications.workPrefix(WorkKey(productID: task.product.id, toolID: task.tool.id)))
        bindings.append(task.labels)
        bindings.append(task.rerunOf)
        bindings.append(now.instant)
        return bindings
    }

    func decodeRow(_ row: PostgresRow) throws -> Row { try row.decode(Row.self) }
}
