-- Verify company_enrichment:function_prune_lookup_requests on pg

BEGIN;

SELECT 1 / pg_catalog.has_function_privilege('enrichment_admin',
    'enterprise.prune_lookup_requests(interval, integer, bigint)', 'EXECUTE')::int;

-- The reworked body: its batch must stay an ordered index scan from the cursor.
SELECT 1 / pg_catalog.count(*)
  FROM pg_catalog.pg_proc AS p
 WHERE p.oid = 'enterprise.prune_lookup_requests(interval, integer, bigint)'::regprocedure
   AND 'enable_bitmapscan=off' = ANY (p.proconfig);

ROLLBACK;
