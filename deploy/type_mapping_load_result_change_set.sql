-- Deploy company_enrichment:type_mapping_load_result_change_set to pg
-- requires: type_mapping_load_result_replaced

BEGIN;

-- The change set of a load (upsert_internal_mappings): what mapping_history
-- and mapping_change_sets show, and what revert_mapping_change_set undoes.
ALTER TYPE enterprise.mapping_load_result ADD ATTRIBUTE change_set bigint;

COMMENT ON TYPE enterprise.mapping_load_result IS
    'Counts returned by upsert_internal_mappings: inserted, updated, unchanged, replaced; and the load''s change_set.';

COMMIT;
