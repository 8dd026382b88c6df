-- The bare PostgreSQL work queue that Testfleet's dispatch rate is compared with (pgbench script).
-- One lease: the oldest queued job, locked with SKIP LOCKED, marked leased; one completion: the job marked
-- done. Each is its own transaction with a durable commit, as a lease and a result are.
UPDATE bare_queue SET state = 'leased', leased_at = now()
WHERE id = (
    SELECT id FROM bare_queue WHERE state = 'queued' ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED
)
RETURNING id AS job \gset
UPDATE bare_queue SET state = 'done', finished_at = now() WHERE id = :job;
