-- Verify company_enrichment:function_cache_company_mapping on pg

BEGIN;

SELECT 1 / (enterprise.cache_company_mapping('verify company', '000000001') = 'inserted')::int;
SELECT 1 / pg_catalog.has_function_privilege('enrichment_worker',
    'enterprise.cache_company_mapping(text, text, text)', 'EXECUTE')::int;

ROLLBACK;
