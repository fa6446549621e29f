-- Revert company_enrichment:function_next_temp_id from pg

BEGIN;

DROP FUNCTION enterprise.next_temp_id();

COMMIT;
