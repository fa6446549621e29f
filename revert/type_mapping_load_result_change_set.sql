-- Revert company_enrichment:type_mapping_load_result_change_set from pg

BEGIN;

ALTER TYPE enterprise.mapping_load_result DROP ATTRIBUTE change_set;

COMMENT ON TYPE enterprise.mapping_load_result IS
    'Counts returned by upsert_internal_mappings: inserted, updated, unchanged, replaced.';

COMMIT;
