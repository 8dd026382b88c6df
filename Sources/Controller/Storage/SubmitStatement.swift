import Foundation
import PostgresNIO

/// Stores a task with all its cases and tells waiting agents, in one statement: one round trip, atomic, and the
/// notification is delivered when it commits. Nothing is stored when the tool is not linked to the product.
///
/// Lease requests of this controller waiting for the task's product and tool can be handed a case in the same
/// statement (their nodes in `$1`, the run id and fencing token of each in `$2` and `$3`): in that order, each
/// node that is online with a free slot, has the product and tool installed and has nothing else queued it could
/// run, case or install job, gets one of the cases the lease statement would pick first (longest expected, then submission order),
/// leased as the lease statement leases. The notification counts the cases left queued.
struct SubmitStatement: PostgresPreparedStatement {
    static let sql = """
        WITH candidate AS (
            SELECT DISTINCT ON (h.rank) h.node_id, h.run_id, h.token, h.rank, np.install_path AS product_path,
                nt.install_path AS tool_path
            FROM unnest($1::bigint[], $2::uuid[], $3::bigint[])
                WITH ORDINALITY AS h(node_id, run_id, token, rank)
            JOIN nodes n ON n.id = h.node_id
            JOIN node_products np ON np.node_id = n.id AND np.product_id = $4::bigint AND np.state = 'installed'
            JOIN node_tools nt ON nt.node_product_id = np.id AND nt.tool_id = $5::bigint AND nt.state = 'installed'
            WHERE n.state = 'online' AND n.revoked_at IS NULL
              AND (SELECT count(*) FROM cases b WHERE b.node_id = n.id AND b.state IN ('leased', 'running')) < n.slots
              -- Looked up node by node (LIMIT keeps it a subplan): as an anti-join over every queued case, a plan
              -- made once could cross them with every node.
              AND (
                  SELECT 1 FROM node_products qp
                  JOIN node_tools qt ON qt.node_product_id = qp.id AND qt.state = 'installed'
                  JOIN tasks t ON t.product_id = qp.product_id AND t.tool_id = qt.tool_id AND t.state IN ('queued', 'running')
                  JOIN cases q ON q.task_id = t.id AND q.state = 'queued'
                  WHERE qp.node_id = n.id AND qp.state = 'installed'
                    AND (q.avoid_node_id IS NULL OR q.avoid_node_id <> n.id OR q.avoid_until < now())
                  LIMIT 1
              ) IS NULL
              -- Its environment's changes go before cases.
              AND (SELECT 1 FROM install_jobs j WHERE j.node_id = n.id AND j.state = 'queued' LIMIT 1) IS NULL
            ORDER BY h.rank, np.id, nt.id
            LIMIT $6::bigint
        ), hand AS (
            SELECT c.*, row_number() OVER (ORDER BY c.rank) AS pick FROM candidate c
        ), task AS (
            INSERT INTO tasks (name, product_id, tool_id, submitted_by, priority, case_timeout_s, max_infra_retries, case_count,
                state, started_at, dispatched_at)
            SELECT $7::text, $4::bigint, $5::bigint, $8::bigint, $9::bigint,
                   $10::bigint, $11::bigint, $6::bigint,
                   CASE WHEN handing THEN 'running' ELSE 'queued' END,
                   CASE WHEN handing THEN now() END, CASE WHEN handing THEN now() END
            FROM (SELECT EXISTS (SELECT 1 FROM hand) AS handing) h
            WHERE EXISTS (SELECT 1 FROM product_tools WHERE product_id = $4::bigint AND tool_id = $5::bigint)
            RETURNING id, created_at
        ), picked AS (
            -- The lease statement's order: longest expected first, then submission order.
            SELECT u.ordinal, u.name, row_number() OVER (ORDER BY d.mean_ms::bigint DESC NULLS FIRST, u.ordinal) AS pick
            FROM unnest($12::text[]) WITH ORDINALITY AS u(name, ordinal)
            LEFT JOIN case_durations d ON d.product_name = $13::text
                AND d.tool_name = $14::text AND d.case_name = u.name
            ORDER BY d.mean_ms::bigint DESC NULLS FIRST, u.ordinal
            LIMIT (SELECT count(*) FROM hand)
        ), assigned AS (
            SELECT p.ordinal, p.name, h.node_id, h.run_id, h.token, h.product_path, h.tool_path
            FROM picked p JOIN hand h ON h.pick = p.pick
        ), queued AS (
            INSERT INTO cases (task_id, ordinal, name, expected_ms, state, node_id, current_run_id, attempts, leased_at)
            SELECT task.id, u.ordinal, u.name, d.mean_ms::bigint,
                   CASE WHEN a.run_id IS NULL THEN 'queued' ELSE 'leased' END, a.node_id, a.run_id,
                   CASE WHEN a.run_id IS NULL THEN 0 ELSE 1 END, CASE WHEN a.run_id IS NOT NULL THEN now() END
            FROM task
            CROSS JOIN unnest($12::text[]) WITH ORDINALITY AS u(name, ordinal)
            LEFT JOIN case_durations d ON d.product_name = $13::text
                AND d.tool_name = $14::text AND d.case_name = u.name
            LEFT JOIN assigned a ON a.ordinal = u.ordinal
            RETURNING id, current_run_id
        ), runs AS (
            INSERT INTO case_runs (id, case_id, node_id, attempt, lease_token, lease_expires_at)
            SELECT a.run_id, q.id, a.node_id, 1, a.token, now() + make_interval(secs => $15::float8)
            FROM queued q JOIN assigned a ON a.run_id = q.current_run_id
            RETURNING id, case_id, lease_expires_at
        ), notified AS (
            SELECT pg_notify($16::text, $17::text || ($6::bigint - (SELECT count(*) FROM assigned)))
            FROM task
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

    func makeBindings() throws -> PostgresBindings {
        var bindings = PostgresBindings(capacity: 17)
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
        return bindings
    }

    func decodeRow(_ row: PostgresRow) throws -> Row { try row.decode(Row.self) }
}
