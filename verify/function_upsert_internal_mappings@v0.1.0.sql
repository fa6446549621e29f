-- Verify company_enrichment:function_upsert_internal_mappings on pg

BEGIN;

SELECT 1 / ((enterprise.upsert_internal_mappings(ARRAY['VERIFY1'], ARRAY['000000001'], ARRAY['plan'])).inserted = 1)::int;
SELECT 1 / pg_catalog.has_function_privilege('enrichment_admin',
    'enterprise.upsert_internal_mappings(text[], text[], text[])', 'EXECUTE')::int;

ROLLBACK;
