-- Verify company_enrichment:trigger_lookup_requests_answered_meanwhile on pg

BEGIN;

SELECT 1 / (count(*) = 1)::int
  FROM pg_catalog.pg_trigger
 WHERE tgrelid = 'enterprise.lookup_requests'::regclass
   AND tgname = 'lookup_requests_answered_meanwhile'
   AND tgfoid = 'enterprise._settle_answered_meanwhile()'::regprocedure
   AND tgenabled = 'O';

ROLLBACK;
