-- Verify company_enrichment:function_failed_lookups on pg

BEGIN;

SELECT 1 / pg_catalog.has_function_privilege('enrichment_reader', 'enterprise.failed_lookups(integer)', 'EXECUTE')::int;
SELECT 1 / (NOT pg_catalog.has_function_privilege('public', 'enterprise.failed_lookups(integer)', 'EXECUTE'))::int;

ROLLBACK;
