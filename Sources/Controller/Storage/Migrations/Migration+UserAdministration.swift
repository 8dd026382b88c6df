extension Migration {
    /// Users that can be disabled and deleted, and the audit log.
    ///
    /// A deleted user's tasks stay under their id, which no one is given again, and `submitted_by_name` keeps
    /// their name (set by the deletion, in its transaction). So `submitted_by` no longer references `users`: the
    /// running counts and fair share go on counting such tasks under that id, and nobody but an admin owns them.
    static let userAdministration = Migration(
        version: 4,
        name: "user administration and audit log",
        sql: #"""
            ALTER TABLE users ADD COLUMN disabled_at timestamptz;

            ALTER TABLE tasks ADD COLUMN submitted_by_name text;
            ALTER TABLE tasks DROP CONSTRAINT tasks_submitted_by_fkey;
            -- Listing a deleted user's tasks by name finds their id here.
            CREATE INDEX tasks_submitted_by_name_idx ON tasks (submitted_by_name) WHERE submitted_by_name IS NOT NULL;

            -- Every change a person or token made, written in the transaction of the change. Actors and targets
            -- are kept by name and id, not by reference, so the log outlives what it describes.
            CREATE TABLE audit_log (
                id bigserial PRIMARY KEY,
                actor text NOT NULL,
                actor_id bigint,
                action text NOT NULL,
                target_kind text NOT NULL,
                target_id bigint,
                detail text NOT NULL DEFAULT '',
                address text,
                created_at timestamptz NOT NULL DEFAULT now()
            );
            CREATE INDEX audit_log_actor_idx ON audit_log (actor, id DESC);
            CREATE INDEX audit_log_action_idx ON audit_log (action, id DESC);
            """#
    )
}
