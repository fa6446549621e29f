-- Revert company_enrichment:table_company_mapping from pg

BEGIN;

DROP TABLE enterprise.company_mapping;

COMMIT;
