-- Verify company_enrichment:trigger_lookup_requests_notify_revived on pg

BEGIN;

SELECT 1 / pg_catalog.count(*)::int
  FROM pg_catalog.pg_trigger
 WHERE tgname = 'lookup_requests_notify_revived'
   AND tgrelid = 'enterprise.lookup_requests'::regclass AND tgenabled <> 'D';

ROLLBACK;
