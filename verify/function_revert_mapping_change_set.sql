-- Verify company_enrichment:function_revert_mapping_change_set on pg

BEGIN;

SELECT 1 / pg_catalog.has_function_privilege('enrichment_admin',
    'enterprise.revert_mapping_change_set(bigint, boolean)', 'EXECUTE')::int;
SELECT 1 / (NOT pg_catalog.has_function_privilege('enrichment_reader',
    'enterprise.revert_mapping_change_set(bigint, boolean)', 'EXECUTE'))::int;

-- a load and its undo
DO $$
DECLARE
    _load   bigint := (enterprise.upsert_internal_mappings(ARRAY['VERIFY_REVERT'], ARRAY['000000001'],
                                                           ARRAY['plan'])).change_set;
    _revert enterprise.mapping_change_set := enterprise.revert_mapping_change_set(_load);
BEGIN
    IF _revert.kind <> 'revert' OR _revert.reverts <> _load OR _revert.deleted <> 1
       OR EXISTS (SELECT 1 FROM enterprise.company_mapping AS m WHERE m.alias_name = 'VERIFY_REVERT') THEN
        RAISE EXCEPTION 'revert_mapping_change_set did not undo a load';
    END IF;
END $$;

ROLLBACK;
