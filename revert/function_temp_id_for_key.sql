-- Revert company_enrichment:function_temp_id_for_key from pg

BEGIN;

DROP FUNCTION enterprise._temp_id_for_key(text);

COMMIT;
