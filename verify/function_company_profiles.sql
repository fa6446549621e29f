-- Verify company_enrichment:function_company_profiles on pg

BEGIN;

SELECT 1 / pg_catalog.has_function_privilege('enrichment_reader', 'enterprise.company_profiles(text[])', 'EXECUTE')::int;

ROLLBACK;
