-- Revert company_enrichment:function_short_temp_key from pg

BEGIN;

DROP FUNCTION enterprise._short_temp_key(text);

COMMIT;
