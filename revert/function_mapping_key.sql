-- Revert company_enrichment:function_mapping_key from pg

BEGIN;

DROP FUNCTION enterprise._mapping_key(text, text);

COMMIT;
