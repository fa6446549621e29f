-- Revert company_enrichment:function_mapping_history from pg

BEGIN;

DROP FUNCTION enterprise.mapping_history(text, text);

COMMIT;
