-- Verify company_enrichment:trigger_lookup_requests_skip_settled on pg

BEGIN;

SELECT 1 / pg_catalog.count(*)::int
  FROM pg_catalog.pg_trigger
 WHERE tgname = 'lookup_requests_skip_settled'
   AND tgrelid = 'enterprise.lookup_requests'::regclass AND tgenabled <> 'D';

-- the reworked body: the check is inline
SELECT 1 / (pg_catalog.pg_get_functiondef('enterprise._skip_settled_lookup()'::regprocedure)
            NOT LIKE '%_settled_since(%')::int;

-- reworked after v0.2.1: the probe fits only the name index
SELECT 1 / (pg_catalog.pg_get_functiondef('enterprise._skip_settled_lookup()'::regprocedure)
            LIKE '%q.status IN (''done'', ''failed'') AND q.outcome IS NOT NULL%')::int;

ROLLBACK;
