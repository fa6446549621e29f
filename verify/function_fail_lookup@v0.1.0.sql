-- Verify company_enrichment:function_fail_lookup on pg

BEGIN;

SELECT 1 / pg_catalog.has_function_privilege('enrichment_worker',
    'enterprise.fail_lookup(bigint, text, text, interval, integer, interval)', 'EXECUTE')::int;

ROLLBACK;
