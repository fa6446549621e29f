-- Revert company_enrichment:sequence_temp_id from pg

BEGIN;

DROP SEQUENCE enterprise.temp_id_seq;

COMMIT;
