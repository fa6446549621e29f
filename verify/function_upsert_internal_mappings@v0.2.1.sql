-- Verify company_enrichment:function_upsert_internal_mappings on pg

BEGIN;

SELECT 1 / ((enterprise.upsert_internal_mappings(ARRAY['VERIFY1'], ARRAY['000000001'], ARRAY['plan'])).inserted = 1)::int;
SELECT 1 / pg_catalog.has_function_privilege('enrichment_admin',
    'enterprise.upsert_internal_mappings(text[], text[], text[], boolean)', 'EXECUTE')::int;

-- the reworked body: two aliases of one kind with one lookup key and two ids are refused
DO $$
BEGIN
    PERFORM enterprise.upsert_internal_mappings(ARRAY['verify公司', 'verify公司（已注销）'],
                                                ARRAY['000000001', '000000002'], ARRAY['name', 'name']);
    RAISE EXCEPTION 'upsert_internal_mappings accepted one lookup key with two company ids';
EXCEPTION WHEN invalid_parameter_value THEN
    NULL;
END $$;

-- the reworked body: a conflict with a loaded row is replaced on request
SELECT 1 / ((enterprise.upsert_internal_mappings(ARRAY['verify乙公司'], ARRAY['000000003'], ARRAY['name'])).inserted = 1)::int;
SELECT 1 / ((enterprise.upsert_internal_mappings(ARRAY['verify乙公司（已注销）'], ARRAY['000000004'], ARRAY['name'],
                                                 replace_conflicting => true)).replaced = 1)::int;

ROLLBACK;
