-- Revert company_enrichment:type_mapping_load_result from pg

BEGIN;

DROP TYPE enterprise.mapping_load_result;

COMMIT;
