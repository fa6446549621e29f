-- Verify company_enrichment:table_queue_settings_settle_commit on pg

BEGIN;

SELECT 1 / (pg_catalog.count(*) = 1)::int
  FROM enterprise.queue_settings
 WHERE settle_synchronous_commit IN ('on', 'off', 'local', 'remote_write', 'remote_apply');

ROLLBACK;
