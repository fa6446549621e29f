-- Revert company_enrichment:function_normalize_name from pg

BEGIN;

DROP FUNCTION enterprise.normalize_name(text);

COMMIT;
