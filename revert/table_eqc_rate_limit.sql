-- Revert company_enrichment:table_eqc_rate_limit from pg

BEGIN;

DROP TABLE enterprise.eqc_rate_limit;

COMMIT;
