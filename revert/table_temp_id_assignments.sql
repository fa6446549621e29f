-- Revert company_enrichment:table_temp_id_assignments from pg

BEGIN;

DROP TABLE enterprise.temp_id_assignments;

COMMIT;
