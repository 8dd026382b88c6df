extension Migration {
    /// What the lease statement needs, kept as it changes instead of counted on every lease: each node's busy
    /// slots on its own row, and the running cases of each task and each user in shards. A node's leases and
    /// results write only its own shard (`node id % 16`), so no row is written by every lease of a busy task.
    ///
    /// A finished run remembers the lease handed out in the same answer (`next_run_id`), so that a result posted
    /// again after its answer was lost gets that lease again instead of leaving it to expire. Runs are found by
    /// their case, not by an index of open leases, so most of their updates are written in place.
    static let runningCounts = Migration(
        version: 2,
        name: "running counts",
        sql: #"""
            ALTER TABLE nodes ADD COLUMN busy integer NOT NULL DEFAULT 0;

            -- scope 'task' or 'user'; owner is the task's or the user's id. A shard's row is written by the leases
            -- and results of the nodes of that shard; the sum over shards is the running count.
            CREATE TABLE running_counts (
                scope text NOT NULL CHECK (scope IN ('task', 'user')),
                owner_id bigint NOT NULL,
                shard smallint NOT NULL,
                running integer NOT NULL,
                PRIMARY KEY (scope, owner_id, shard)
            );

            ALTER TABLE case_runs ADD COLUMN next_run_id uuid;

            UPDATE nodes n SET busy = a.busy
            FROM (
                SELECT node_id, count(*)::int AS busy FROM cases
                WHERE state IN ('leased', 'running') AND node_id IS NOT NULL GROUP BY node_id
            ) a
            WHERE n.id = a.node_id;

            INSERT INTO running_counts (scope, owner_id, shard, running)
            SELECT 'task', k.task_id, (k.node_id % 16)::smallint, count(*)::int FROM cases k
            WHERE k.state IN ('leased', 'running') AND k.node_id IS NOT NULL
            GROUP BY k.task_id, k.node_id % 16;

            INSERT INTO running_counts (scope, owner_id, shard, running)
            SELECT 'user', t.submitted_by, (k.node_id % 16)::smallint, count(*)::int
            FROM cases k JOIN tasks t ON t.id = k.task_id
            WHERE k.state IN ('leased', 'running') AND k.node_id IS NOT NULL
            GROUP BY t.submitted_by, k.node_id % 16;

            -- Fair share is read from running_counts now; this index only served it.
            DROP INDEX cases_active_task_idx;

            -- The reaper finds expired leases through the cases that are leased or running. Without an index on
            -- the outcome, ending a run and renewing its lease change no indexed column, and room left in each
            -- page lets PostgreSQL write them in place (heap-only tuples) instead of adding index entries.
            DROP INDEX case_runs_open_expiry_idx;
            ALTER TABLE case_runs SET (fillfactor = 70);

            -- Nodes are revoked, never deleted. Checking the node of every lease and run against its row took a
            -- tenth of the lease statement: a second lock on the row the statement already holds.
            ALTER TABLE cases DROP CONSTRAINT cases_node_id_fkey;
            ALTER TABLE case_runs DROP CONSTRAINT case_runs_node_id_fkey;
            """#
    )
}
