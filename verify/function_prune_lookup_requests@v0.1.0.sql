-- Verify company_enrichment:function_prune_lookup_requests on pg

BEGIN;

SELECT 1 / pg_catalog.has_function_privilege('enrichment_admin',
    'enterprise.prune_lookup_requests(interval, integer, bigint)', 'EXECUTE')::int;

ROLLBACK;
