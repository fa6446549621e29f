-- Verify company_enrichment:table_queue_settings_auto_accept on pg

BEGIN;

SELECT 1 / (pg_catalog.count(*) = 1)::int FROM enterprise.queue_settings WHERE auto_accept_confidence BETWEEN 0 AND 1;

ROLLBACK;
