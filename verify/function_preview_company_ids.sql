-- Verify company_enrichment:function_preview_company_ids on pg

BEGIN;

SELECT 1 / pg_catalog.has_function_privilege('enrichment_reader',
    'enterprise.preview_company_ids(text[], text[], text[], text[])', 'EXECUTE')::int;

ROLLBACK;
