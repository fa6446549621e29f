-- Revert company_enrichment:table_eqc_companies from pg

BEGIN;

DROP TABLE enterprise.eqc_companies;

COMMIT;
