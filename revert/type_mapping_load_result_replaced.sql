-- Revert company_enrichment:type_mapping_load_result_replaced from pg

BEGIN;

ALTER TYPE enterprise.mapping_load_result DROP ATTRIBUTE replaced;

COMMENT ON TYPE enterprise.mapping_load_result IS
    'Counts returned by upsert_internal_mappings.';

COMMIT;
