-- Revert company_enrichment:table_company_mapping_history from pg

BEGIN;

DROP TABLE enterprise.company_mapping_history;

COMMIT;
