-- Verify company_enrichment:function_complete_lookup_not_found on pg

BEGIN;

SELECT 1 / pg_catalog.has_function_privilege('enrichment_worker',
    'enterprise.complete_lookup_not_found(bigint, text)', 'EXECUTE')::int;

ROLLBACK;
