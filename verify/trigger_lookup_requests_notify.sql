-- Verify company_enrichment:trigger_lookup_requests_notify on pg

BEGIN;

SELECT 1 / count(*)::int FROM pg_catalog.pg_trigger
 WHERE tgname = 'lookup_requests_notify' AND tgrelid = 'enterprise.lookup_requests'::regclass;

ROLLBACK;
