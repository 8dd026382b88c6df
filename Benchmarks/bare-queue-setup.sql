-- The table of Benchmarks/bare-queue.sql, filled with queued jobs (pgbench's -D jobs=N sets how many).
DROP TABLE IF EXISTS bare_queue;
CREATE TABLE bare_queue (
    id bigserial PRIMARY KEY,
    state text NOT NULL DEFAULT 'queued',
    payload text NOT NULL,
    leased_at timestamptz,
    finished_at timestamptz
);
CREATE INDEX bare_queue_queued_idx ON bare_queue (id) WHERE state = 'queued';
INSERT INTO bare_queue (payload) SELECT 'job-' || g FROM generate_series(1, 200000) g;
VACUUM ANALYZE bare_queue;
