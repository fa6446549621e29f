-- Verify company_enrichment:function_search_mappings on pg

BEGIN;

SELECT 1 / pg_catalog.has_function_privilege('enrichment_reader',
    'enterprise.search_mappings(text, text, text, integer)', 'EXECUTE')::int;
SELECT 1 / (NOT pg_catalog.has_function_privilege('public',
    'enterprise.search_mappings(text, text, text, integer)', 'EXECUTE'))::int;

ROLLBACK;
