-- Verify company_enrichment:trigger_lookup_requests_skip_settled on pg

BEGIN;

SELECT 1 / pg_catalog.count(*)::int
  FROM pg_catalog.pg_trigger
 WHERE tgname = 'lookup_requests_skip_settled'
   AND tgrelid = 'enterprise.lookup_requests'::regclass AND tgenabled <> 'D';

-- the reworked body: the check is inline
SELECT 1 / (pg_catalog.pg_get_functiondef('enterprise._skip_settled_lookup()'::regprocedure)
            NOT LIKE '%_settled_since(%')::int;

ROLLBACK;
