-- Deploy company_enrichment:table_queue_settings_settle_commit to pg
-- requires: table_queue_settings
-- requires: owner_enrichment_owner

BEGIN;

SET LOCAL ROLE enrichment_owner;

-- How durable a worker's settle is: settle_lookups sets synchronous_commit to
-- this value for the rest of its transaction (PostgreSQL's own values).
--
-- 'off' (the default) lets the settle's commit return before its WAL reaches
-- the disk. Nothing can be half-done: the WAL is still written in order, so
-- after a crash of the server (not of a worker, and not a clean shutdown)
-- either the whole settle is there or none of it, and at most the last
-- ~3 x wal_writer_delay of settles are missing. A missing settle leaves its
-- requests as the claim left them (processing, with a lease) or pending, so
-- they are claimed and asked of EQC again when the lease runs out: a repeated
-- EQC search, never a lost or a wrong answer. In exchange a worker's cycle
-- does not wait for a WAL flush (about 0.2-3 ms on the disks measured), which
-- is most of a one-request cycle (BENCHMARKS.md, "Queue speed").
-- 'on' makes every settle wait for its flush, as every other writing
-- function does; 'local', 'remote_write' and 'remote_apply' are for servers
-- with synchronous standbys.
ALTER TABLE enterprise.queue_settings
    ADD COLUMN settle_synchronous_commit text NOT NULL DEFAULT 'off',
    ADD CONSTRAINT queue_settings_settle_synchronous_commit_check
        CHECK (settle_synchronous_commit IN ('on', 'off', 'local', 'remote_write', 'remote_apply'));

COMMENT ON COLUMN enterprise.queue_settings.settle_synchronous_commit IS
    'synchronous_commit of the transaction that calls settle_lookups (the worker''s settle): off (default; a '
    'settle lost in a server crash is redone from its lease), on, local, remote_write or remote_apply.';

COMMIT;
