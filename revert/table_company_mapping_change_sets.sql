-- Revert company_enrichment:table_company_mapping_change_sets from pg

BEGIN;

DROP TABLE enterprise.company_mapping_change_sets;

COMMIT;
