-- Verify company_enrichment:function_next_temp_id on pg

BEGIN;

SELECT 1 / pg_catalog.has_function_privilege('enrichment_worker', 'enterprise.next_temp_id()', 'EXECUTE')::int;
SELECT 1 / (NOT pg_catalog.has_function_privilege('enrichment_reader', 'enterprise.next_temp_id()', 'EXECUTE'))::int;

ROLLBACK;
