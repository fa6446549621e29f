-- Revert company_enrichment:function_name_temp_key from pg

BEGIN;

DROP FUNCTION enterprise._name_temp_key(text);

COMMIT;
