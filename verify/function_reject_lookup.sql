-- Verify company_enrichment:function_reject_lookup on pg

BEGIN;

SELECT 1 / pg_catalog.has_function_privilege('enrichment_admin', 'enterprise.reject_lookup(bigint)', 'EXECUTE')::int;

ROLLBACK;
