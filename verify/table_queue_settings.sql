-- Verify company_enrichment:table_queue_settings on pg

BEGIN;

SELECT 1 / (count(*) = 1)::int FROM enterprise.queue_settings;

ROLLBACK;
