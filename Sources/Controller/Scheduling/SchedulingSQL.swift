/// The scheduling policy in SQL, written once: which node may run which case, and in which order. Every statement
/// that leases (``DispatchStatement``, the hand-off of ``SubmitStatement``) and the explanation of a wait
/// (``SchedulingInsight``) is built from these fragments.
///
/// - A node may lease when it is online, not revoked and has a free slot.
/// - It may run a task whose product and tool it has installed and whose labels it all has, while the task is
///   queued or running.
/// - Tasks go by aged priority (one step per aging interval since a case of the task was last handed out), then
///   fair share — the fewest running cases of the submitting user, then of the task — then age.
/// - Within a task, queued cases go longest expected first, then in submission order; a case retried after an
///   infrastructure failure avoids the node it failed on for a while.
///
/// What leasing needs is kept as it changes rather than counted per lease: each node's busy slots in
/// `nodes.busy`, and the running cases of each task and user in `running_counts`, one row per shard. A node
/// writes only its own shard, so the leases of one task spread over many rows.
///
/// Time is the scheduling clock's (``SchedulingClock``): each fragment that reads it takes the SQL expression of
/// the statement's `now`, ``now(_:)``.
///
/// Locks are taken in one order everywhere — the node's row, then its run and case rows, then counts sorted by
/// scope and owner, and task rows only with `SKIP LOCKED` — so that no two statements wait for each other.
enum SchedulingSQL {
    /// Shards of the running counts: a node's changes go to shard `node id % shards`.
    static let shards = 16

    /// The scheduling clock's instant, given as the `timestamptz` parameter `parameter`: when it is NULL, the
    /// database's clock decides, as PostgreSQL's `now()`.
    static func now(_ parameter: String) -> String { "coalesce(\(parameter)::timestamptz, now())" }

    /// The shard of the node whose id is the SQL expression `node`.
    static func shard(of node: String) -> String { "(\(node) % \(shards))::smallint" }

    /// The conditions under which node row `n` may lease, apart from its free slots.
    static func nodeMayLease(_ n: String) -> String {
        "\(n).state = 'online' AND \(n).revoked_at IS NULL"
    }

    /// Joins the node's installed product/tool pairs (`np`, `nt`) to node `node`.
    static func installedPairs(node: String) -> String {
        """
        JOIN node_products np ON np.node_id = \(node) AND np.state = 'installed'
        JOIN node_tools nt ON nt.node_product_id = np.id AND nt.state = 'installed'
        """
    }

    /// Whether a node whose labels are the SQL expression `nodeLabels` has every label of `taskLabels`.
    static func hasLabels(_ nodeLabels: String, for taskLabels: String) -> String { "\(nodeLabels) @> \(taskLabels)" }

    /// Joins the tasks (`t`) the installed pairs `np`, `nt` of a node labelled `labels` can run.
    static func runnableTasks(labels: String) -> String {
        """
        JOIN tasks t ON t.product_id = np.product_id AND t.tool_id = nt.tool_id AND t.state IN ('queued', 'running')
            AND \(hasLabels(labels, for: "t.labels"))
        """
    }

    /// Task `t`'s priority with aging at `now` (``SchedulingOrder/agedPriority(_:now:)``); `aging` is the SQL expression
    /// of the aging interval in seconds.
    static func agedPriority(_ t: String, aging: String, now: String) -> String {
        """
        \(t).priority + least(floor(extract(epoch FROM \(now) - coalesce(\(t).dispatched_at, \(t).created_at)) / \(aging)), \
        \(SchedulingOrder.maxAgingSteps))
        """
    }

    /// How many cases `owner` runs, summed over the shards; `scope` is `task` or `user`.
    static func running(_ scope: String, _ owner: String) -> String {
        """
        (SELECT coalesce(sum(rc.running), 0) FROM running_counts rc WHERE rc.scope = '\(scope)' AND rc.owner_id = \(owner))
        """
    }

    /// The order of candidate tasks `t` (``SchedulingOrder``); `ending` is a relation of runs that are ending in the same
    /// statement (`task_id`, `submitted_by`), which no longer count as running.
    static func taskOrder(aging: String, ending: String, now: String) -> String {
        """
        \(agedPriority("t", aging: aging, now: now)) DESC,
        \(running("user", "t.submitted_by")) - (SELECT count(*) FROM \(ending) x WHERE x.submitted_by = t.submitted_by),
        \(running("task", "t.id")) - (SELECT count(*) FROM \(ending) x WHERE x.task_id = t.id),
        t.created_at, t.id
        """
    }

    /// Whether node `node` may take queued case `k` at `now` (retried cases avoid the node they failed on).
    static func mayTake(_ k: String, node: String, now: String) -> String {
        """
        \(k).state = 'queued' AND (\(k).avoid_node_id IS NULL OR \(k).avoid_node_id <> \(node) OR \(k).avoid_until < \(now))
        """
    }

    /// The order of a task's queued cases `k`: longest expected first, then submission order.
    static func caseOrder(_ k: String) -> String { "\(k).expected_ms DESC NULLS FIRST, \(k).ordinal" }

    /// Whether node `node`, labelled `labels`, could lease any queued case at `now`, of any task (a subplan per node:
    /// `LIMIT` keeps it one, where an anti-join over every queued case made once could cross them with every node).
    /// Each runnable task's queue is looked at through its index, in its order: joined instead, the plan follows
    /// the statistics, and once they said few tasks were active it read every queued case for each pair a node
    /// had installed (12 s per submission with 330,000 queued cases, where this takes about a millisecond).
    static func hasQueuedWork(node: String, labels: String, now: String) -> String {
        """
        (SELECT 1 FROM node_products np
         JOIN node_tools nt ON nt.node_product_id = np.id AND nt.state = 'installed'
         \(runnableTasks(labels: labels))
         WHERE np.node_id = \(node) AND np.state = 'installed' AND \(hasQueuedCase(task: "t.id", takenBy: (node, now)))
         LIMIT 1) IS NOT NULL
        """
    }

    /// Whether task `task` has a queued case (when `taker` is given, one its node may take at its `now`). Read in
    /// the order of the queue's index, so that it is read from there: a scan from the start of the table passes
    /// every case that has ended.
    static func hasQueuedCase(task: String, takenBy taker: (node: String, now: String)? = nil) -> String {
        let condition = taker.map { mayTake("q", node: $0.node, now: $0.now) } ?? "q.state = 'queued'"
        return "(SELECT 1 FROM cases q WHERE q.task_id = \(task) AND \(condition) ORDER BY \(caseOrder("q")) LIMIT 1) IS NOT NULL"
    }

    /// Marks task `t` running and records when it was last handed a case (`now`), at most once a second; a task
    /// row another statement holds is passed over rather than waited for. `leased` has the leased cases' `task_id`.
    static func touchTasks(leased: String, now: String) -> String {
        """
        UPDATE tasks t SET state = CASE WHEN t.state = 'queued' THEN 'running' ELSE t.state END,
            started_at = coalesce(t.started_at, \(now)), dispatched_at = \(now), updated_at = \(now)
        FROM (
            SELECT s.id FROM tasks s WHERE s.id IN (SELECT task_id FROM \(leased))
              AND (s.state = 'queued' OR s.dispatched_at IS NULL OR s.dispatched_at < \(now) - interval '1 second')
            ORDER BY s.id
            FOR NO KEY UPDATE OF s SKIP LOCKED
        ) due
        WHERE t.id = due.id
        """
    }

    /// Applies `changes` (`scope`, `owner_id`, `shard`, `delta`) to the running counts, rows locked in one order.
    static func applyCounts(_ changes: String) -> String {
        """
        INSERT INTO running_counts (scope, owner_id, shard, running)
        SELECT scope, owner_id, shard, delta FROM \(changes) WHERE delta <> 0 ORDER BY scope, owner_id, shard
        ON CONFLICT (scope, owner_id, shard) DO UPDATE SET running = running_counts.running + excluded.running
        """
    }
}
