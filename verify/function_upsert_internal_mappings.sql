-- Verify company_enrichment:function_upsert_internal_mappings on pg

BEGIN;

SELECT 1 / ((enterprise.upsert_internal_mappings(ARRAY['VERIFY1'], ARRAY['000000001'], ARRAY['plan'])).inserted = 1)::int;
SELECT 1 / pg_catalog.has_function_privilege('enrichment_admin',
    'enterprise.upsert_internal_mappings(text[], text[], text[], boolean, text)', 'EXECUTE')::int;

-- the reworked body (after v0.2.1): a load is a change set of its own, with its label and its rows' history
DO $$
DECLARE
    _cs bigint := (enterprise.upsert_internal_mappings(ARRAY['VERIFY2'], ARRAY['000000002'], ARRAY['plan'],
                                                      label => 'verify load')).change_set;
BEGIN
    IF NOT EXISTS (SELECT 1 FROM enterprise.company_mapping_change_sets AS s
                    WHERE s.id = _cs AND s.kind = 'import' AND s.label = 'verify load' AND s.inserted = 1)
       OR NOT EXISTS (SELECT 1 FROM enterprise.company_mapping_history AS h
                       WHERE h.change_set = _cs AND h.alias_name = 'VERIFY2' AND h.operation = 'insert')
    THEN
        RAISE EXCEPTION 'upsert_internal_mappings did not record its load as a change set';
    END IF;
END $$;

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
