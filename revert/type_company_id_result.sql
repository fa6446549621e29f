-- Revert company_enrichment:type_company_id_result from pg

BEGIN;

DROP TYPE enterprise._mapping_hit;
DROP TYPE enterprise.company_id_result;

COMMIT;
