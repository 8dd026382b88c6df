extension Migration {
    /// Placement by labels, single cases cancelled, reruns, deletion and retention.
    ///
    /// A node's `labels` stay the set leasing matches against: those its agent reports and those an admin
    /// assigned, each kept on its own so that neither overwrites the other. A task lists the labels its nodes must
    /// all have. A case is cancelled while it runs by marking its run; the agent learns it from its heartbeat.
    static let lifecycle = Migration(
        version: 6,
        name: "lifecycle",
        sql: #"""
            ALTER TABLE nodes ADD COLUMN reported_labels text[] NOT NULL DEFAULT '{}';
            ALTER TABLE nodes ADD COLUMN assigned_labels text[] NOT NULL DEFAULT '{}';
            UPDATE nodes SET assigned_labels = labels WHERE labels <> '{}';

            ALTER TABLE tasks ADD COLUMN labels text[] NOT NULL DEFAULT '{}';
            ALTER TABLE tasks ADD COLUMN rerun_of bigint;
            -- Set once the retention sweep removed the task's case logs.
            ALTER TABLE tasks ADD COLUMN logs_deleted_at timestamptz;

            ALTER TABLE case_runs ADD COLUMN cancel_requested_at timestamptz;

            -- The retention sweep, oldest finished first: tasks to delete, and tasks whose logs are still kept.
            CREATE INDEX tasks_finished_idx ON tasks (finished_at) WHERE state IN ('completed', 'cancelled');
            CREATE INDEX tasks_logs_kept_idx ON tasks (finished_at)
                WHERE state IN ('completed', 'cancelled') AND logs_deleted_at IS NULL;
            -- A deleted task's report link answers 410 when the product's test-result history names the task.
            CREATE INDEX product_test_results_task_idx ON product_test_results (task_id);
            """#
    )
}
