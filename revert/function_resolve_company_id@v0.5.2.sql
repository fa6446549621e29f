-- Revert company_enrichment:function_resolve_company_id from pg

BEGIN;

DROP FUNCTION enterprise.resolve_company_id(text, text, text, text);

COMMIT;
