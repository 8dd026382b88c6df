extension Migration {
    /// The whole domain model of SPEC §3.
    static let schema = Migration(
        version: 1,
        name: "schema",
        sql: #"""
            CREATE TABLE users (
                id bigserial PRIMARY KEY,
                username text NOT NULL UNIQUE CHECK (username ~ '^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$'),
                password_hash text NOT NULL,
                role text NOT NULL CHECK (role IN ('admin', 'member')),
                created_at timestamptz NOT NULL DEFAULT now(),
                updated_at timestamptz NOT NULL DEFAULT now()
            );

            CREATE TABLE api_tokens (
                id bigserial PRIMARY KEY,
                user_id bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
                name text NOT NULL,
                prefix text NOT NULL,
                token_hash bytea NOT NULL UNIQUE,
                last_used_at timestamptz,
                created_at timestamptz NOT NULL DEFAULT now()
            );
            CREATE INDEX api_tokens_user_idx ON api_tokens (user_id);

            CREATE TABLE sessions (
                id bigserial PRIMARY KEY,
                token_hash bytea NOT NULL UNIQUE,
                user_id bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
                csrf_token text NOT NULL,
                expires_at timestamptz NOT NULL,
                created_at timestamptz NOT NULL DEFAULT now()
            );
            CREATE INDEX sessions_expiry_idx ON sessions (expires_at);

            CREATE TABLE products (
                id bigserial PRIMARY KEY,
                name text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
                version text NOT NULL CHECK (length(version) BETWEEN 1 AND 100),
                download_url text,
                install_script text,
                artifact_filename text,
                artifact_size bigint CHECK (artifact_size >= 0),
                artifact_sha256 text CHECK (artifact_sha256 ~ '^[0-9a-f]{64}$'),
                created_at timestamptz NOT NULL DEFAULT now(),
                updated_at timestamptz NOT NULL DEFAULT now(),
                UNIQUE (name, version)
            );

            CREATE TABLE tools (
                id bigserial PRIMARY KEY,
                name text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
                version text NOT NULL CHECK (length(version) BETWEEN 1 AND 100),
                run_command text NOT NULL CHECK (length(run_command) > 0),
                default_timeout_s integer NOT NULL DEFAULT 600 CHECK (default_timeout_s > 0),
                download_url text,
                install_script text,
                artifact_filename text,
                artifact_size bigint CHECK (artifact_size >= 0),
                artifact_sha256 text CHECK (artifact_sha256 ~ '^[0-9a-f]{64}$'),
                created_at timestamptz NOT NULL DEFAULT now(),
                updated_at timestamptz NOT NULL DEFAULT now(),
                UNIQUE (name, version)
            );

            CREATE TABLE product_tools (
                product_id bigint NOT NULL REFERENCES products (id) ON DELETE CASCADE,
                tool_id bigint NOT NULL REFERENCES tools (id) ON DELETE CASCADE,
                created_at timestamptz NOT NULL DEFAULT now(),
                PRIMARY KEY (product_id, tool_id)
            );
            CREATE INDEX product_tools_tool_idx ON product_tools (tool_id);

            CREATE TABLE nodes (
                id bigserial PRIMARY KEY,
                name text NOT NULL UNIQUE CHECK (length(name) BETWEEN 1 AND 200),
                hostname text NOT NULL DEFAULT '',
                ip text NOT NULL DEFAULT '',
                os text NOT NULL DEFAULT '',
                arch text NOT NULL DEFAULT '',
                agent_version text NOT NULL DEFAULT '',
                slots integer NOT NULL DEFAULT 1 CHECK (slots BETWEEN 1 AND 1024),
                labels text[] NOT NULL DEFAULT '{}',
                state text NOT NULL DEFAULT 'online'
                    CHECK (state IN ('online', 'offline', 'draining', 'disabled')),
                state_reason text,
                consecutive_infra_failures integer NOT NULL DEFAULT 0 CHECK (consecutive_infra_failures >= 0),
                credential_hash bytea NOT NULL UNIQUE,
                revoked_at timestamptz,
                last_seen_at timestamptz,
                created_at timestamptz NOT NULL DEFAULT now(),
                updated_at timestamptz NOT NULL DEFAULT now()
            );

            CREATE TABLE enrollment_tokens (
                id bigserial PRIMARY KEY,
                token_hash bytea NOT NULL UNIQUE,
                created_by bigint REFERENCES users (id) ON DELETE SET NULL,
                note text NOT NULL DEFAULT '',
                expires_at timestamptz NOT NULL,
                max_uses integer NOT NULL CHECK (max_uses > 0),
                uses integer NOT NULL DEFAULT 0 CHECK (uses >= 0 AND uses <= max_uses),
                revoked_at timestamptz,
                created_at timestamptz NOT NULL DEFAULT now()
            );

            -- What is installed where. Rows name the product and tool as reported (name + version) and point at
            -- the catalog entry when there is one, so a node matches as soon as the catalog knows the item.
            CREATE TABLE node_products (
                id bigserial PRIMARY KEY,
                node_id bigint NOT NULL REFERENCES nodes (id) ON DELETE CASCADE,
                product_id bigint REFERENCES products (id) ON DELETE SET NULL,
                product_name text NOT NULL,
                product_version text NOT NULL,
                install_path text NOT NULL,
                state text NOT NULL CHECK (state IN ('installing', 'installed', 'failed', 'removing')),
                source text NOT NULL CHECK (source IN ('agent-config', 'managed')),
                created_at timestamptz NOT NULL DEFAULT now(),
                updated_at timestamptz NOT NULL DEFAULT now(),
                UNIQUE (node_id, product_name, product_version)
            );
            CREATE INDEX node_products_product_idx ON node_products (product_id);

            CREATE TABLE node_tools (
                id bigserial PRIMARY KEY,
                node_product_id bigint NOT NULL REFERENCES node_products (id) ON DELETE CASCADE,
                tool_id bigint REFERENCES tools (id) ON DELETE SET NULL,
                tool_name text NOT NULL,
                tool_version text NOT NULL,
                install_path text NOT NULL,
                state text NOT NULL CHECK (state IN ('installing', 'installed', 'failed', 'removing')),
                source text NOT NULL CHECK (source IN ('agent-config', 'managed')),
                created_at timestamptz NOT NULL DEFAULT now(),
                updated_at timestamptz NOT NULL DEFAULT now(),
                UNIQUE (node_product_id, tool_name, tool_version)
            );
            CREATE INDEX node_tools_tool_idx ON node_tools (tool_id);

            CREATE TABLE product_test_results (
                id bigserial PRIMARY KEY,
                product_id bigint NOT NULL REFERENCES products (id) ON DELETE CASCADE,
                pass_rate double precision NOT NULL CHECK (pass_rate >= 0 AND pass_rate <= 1),
                report_url text,
                source text,
                task_id bigint,
                created_at timestamptz NOT NULL DEFAULT now()
            );
            CREATE INDEX product_test_results_product_idx ON product_test_results (product_id, created_at DESC, id DESC);

            CREATE TABLE tasks (
                id bigserial PRIMARY KEY,
                name text NOT NULL CHECK (length(name) BETWEEN 1 AND 500),
                product_id bigint NOT NULL REFERENCES products (id) ON DELETE RESTRICT,
                tool_id bigint NOT NULL REFERENCES tools (id) ON DELETE RESTRICT,
                submitted_by bigint NOT NULL REFERENCES users (id) ON DELETE RESTRICT,
                priority integer NOT NULL DEFAULT 0 CHECK (priority BETWEEN -1000 AND 1000),
                state text NOT NULL DEFAULT 'queued' CHECK (state IN ('queued', 'running', 'completed', 'cancelled')),
                case_timeout_s integer NOT NULL CHECK (case_timeout_s > 0),
                max_infra_retries integer NOT NULL DEFAULT 2 CHECK (max_infra_retries BETWEEN 0 AND 100),
                case_count integer NOT NULL CHECK (case_count > 0),
                -- When a case of the task was last handed out (refreshed at most once a second): the base of aging.
                dispatched_at timestamptz,
                started_at timestamptz,
                finished_at timestamptz,
                created_at timestamptz NOT NULL DEFAULT now(),
                updated_at timestamptz NOT NULL DEFAULT now()
            );
            CREATE INDEX tasks_active_idx ON tasks (priority DESC, created_at, id) WHERE state IN ('queued', 'running');
            CREATE INDEX tasks_state_idx ON tasks (state, id DESC);
            CREATE INDEX tasks_product_idx ON tasks (product_id, tool_id, id DESC);
            CREATE INDEX tasks_user_idx ON tasks (submitted_by, id DESC);

            CREATE TABLE cases (
                id bigserial PRIMARY KEY,
                task_id bigint NOT NULL REFERENCES tasks (id) ON DELETE CASCADE,
                ordinal integer NOT NULL CHECK (ordinal > 0),
                name text NOT NULL CHECK (length(name) BETWEEN 1 AND 1000),
                state text NOT NULL DEFAULT 'queued' CHECK (state IN
                    ('queued', 'leased', 'running', 'passed', 'failed', 'error', 'skipped', 'timed_out', 'cancelled')),
                -- Expected duration from history; longest first within a task.
                expected_ms bigint,
                node_id bigint REFERENCES nodes (id) ON DELETE SET NULL,
                current_run_id uuid,
                attempts integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
                -- After an infrastructure failure, the node to avoid until avoid_until.
                avoid_node_id bigint,
                avoid_until timestamptz,
                duration_ms bigint CHECK (duration_ms >= 0),
                exit_code integer,
                message text,
                leased_at timestamptz,
                started_at timestamptz,
                finished_at timestamptz,
                created_at timestamptz NOT NULL DEFAULT now(),
                updated_at timestamptz NOT NULL DEFAULT now(),
                UNIQUE (task_id, ordinal),
                CHECK ((state IN ('leased', 'running')) = (current_run_id IS NOT NULL))
            );
            -- The lease: the next queued case of a task, longest expected first, then in submission order.
            CREATE INDEX cases_queued_idx ON cases (task_id, expected_ms DESC NULLS FIRST, ordinal)
                WHERE state = 'queued';
            -- Fair share and slot checks count what is running, per task and per node.
            CREATE INDEX cases_active_task_idx ON cases (task_id) WHERE state IN ('leased', 'running');
            CREATE INDEX cases_active_node_idx ON cases (node_id) WHERE state IN ('leased', 'running');
            CREATE INDEX cases_task_state_idx ON cases (task_id, state, ordinal);
            CREATE INDEX cases_avoid_idx ON cases (avoid_until) WHERE avoid_node_id IS NOT NULL AND state = 'queued';

            CREATE SEQUENCE lease_token_seq;

            CREATE TABLE case_runs (
                id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
                case_id bigint NOT NULL REFERENCES cases (id) ON DELETE CASCADE,
                node_id bigint NOT NULL REFERENCES nodes (id) ON DELETE CASCADE,
                attempt integer NOT NULL CHECK (attempt > 0),
                lease_token bigint NOT NULL,
                lease_expires_at timestamptz NOT NULL,
                outcome text CHECK (outcome IN
                    ('passed', 'failed', 'error', 'skipped', 'timed_out', 'cancelled', 'lost')),
                exit_code integer,
                duration_ms bigint,
                message text,
                log_bytes bigint NOT NULL DEFAULT 0,
                leased_at timestamptz NOT NULL DEFAULT now(),
                started_at timestamptz,
                ended_at timestamptz,
                created_at timestamptz NOT NULL DEFAULT now(),
                UNIQUE (case_id, attempt)
            );
            -- The reaper: open leases by expiry.
            CREATE INDEX case_runs_open_expiry_idx ON case_runs (lease_expires_at) WHERE outcome IS NULL;
            CREATE INDEX case_runs_node_idx ON case_runs (node_id, leased_at DESC);

            CREATE TABLE case_logs (
                run_id uuid NOT NULL REFERENCES case_runs (id) ON DELETE CASCADE,
                byte_offset bigint NOT NULL CHECK (byte_offset >= 0),
                data bytea NOT NULL,
                created_at timestamptz NOT NULL DEFAULT now(),
                PRIMARY KEY (run_id, byte_offset)
            );

            -- Duration history per product name, tool name and case name, for longest-first order and ETAs.
            CREATE TABLE case_durations (
                product_name text NOT NULL,
                tool_name text NOT NULL,
                case_name text NOT NULL,
                mean_ms double precision NOT NULL,
                last_ms bigint NOT NULL,
                samples integer NOT NULL,
                created_at timestamptz NOT NULL DEFAULT now(),
                updated_at timestamptz NOT NULL DEFAULT now(),
                PRIMARY KEY (product_name, tool_name, case_name)
            );

            CREATE TABLE reports (
                id bigserial PRIMARY KEY,
                task_id bigint NOT NULL UNIQUE REFERENCES tasks (id) ON DELETE CASCADE,
                total integer NOT NULL,
                passed integer NOT NULL,
                failed integer NOT NULL,
                errored integer NOT NULL,
                skipped integer NOT NULL,
                timed_out integer NOT NULL,
                cancelled integer NOT NULL,
                pass_rate double precision CHECK (pass_rate >= 0 AND pass_rate <= 1),
                duration_sum_ms bigint NOT NULL,
                duration_median_ms bigint,
                duration_p95_ms bigint,
                duration_max_ms bigint,
                report_url text NOT NULL,
                body jsonb NOT NULL,
                generated_at timestamptz NOT NULL DEFAULT now(),
                created_at timestamptz NOT NULL DEFAULT now()
            );

            CREATE TABLE install_jobs (
                id bigserial PRIMARY KEY,
                node_id bigint NOT NULL REFERENCES nodes (id) ON DELETE CASCADE,
                product_id bigint NOT NULL REFERENCES products (id) ON DELETE CASCADE,
                tool_ids bigint[] NOT NULL DEFAULT '{}',
                with_product boolean NOT NULL DEFAULT true,
                action text NOT NULL CHECK (action IN ('install', 'uninstall')),
                state text NOT NULL DEFAULT 'queued'
                    CHECK (state IN ('queued', 'leased', 'running', 'succeeded', 'failed', 'cancelled')),
                lease_id uuid,
                lease_token bigint,
                lease_expires_at timestamptz,
                log text NOT NULL DEFAULT '',
                message text,
                created_by bigint REFERENCES users (id) ON DELETE SET NULL,
                started_at timestamptz,
                finished_at timestamptz,
                created_at timestamptz NOT NULL DEFAULT now(),
                updated_at timestamptz NOT NULL DEFAULT now()
            );
            CREATE INDEX install_jobs_node_idx ON install_jobs (node_id, id) WHERE state IN ('queued', 'leased', 'running');
            CREATE INDEX install_jobs_expiry_idx ON install_jobs (lease_expires_at) WHERE state IN ('leased', 'running');
            """#
    )
}
