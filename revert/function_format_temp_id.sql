-- Revert company_enrichment:function_format_temp_id from pg

BEGIN;

DROP FUNCTION enterprise._format_temp_id(bigint);

COMMIT;
