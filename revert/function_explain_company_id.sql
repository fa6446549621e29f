-- Revert company_enrichment:function_explain_company_id from pg

BEGIN;

DROP FUNCTION enterprise.explain_company_id(text, text, text, text);

COMMIT;
