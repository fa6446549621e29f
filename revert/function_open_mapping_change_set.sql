-- Revert company_enrichment:function_open_mapping_change_set from pg

BEGIN;

DROP FUNCTION enterprise._open_mapping_change_set(text, text, bigint);

COMMIT;
