-- Verify company_enrichment:function_complete_lookup on pg

BEGIN;

SELECT 1 / pg_catalog.has_function_privilege('enrichment_worker',
    'enterprise.complete_lookup(bigint, text, text, text, text)', 'EXECUTE')::int;

ROLLBACK;
