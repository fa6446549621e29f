-- Revert company_enrichment:type_mapping_change_set from pg

BEGIN;

DROP TYPE enterprise.mapping_change_set;

COMMIT;
