-- Revert company_enrichment:function_resolve_company_ids from pg

BEGIN;

DROP FUNCTION enterprise.resolve_company_ids(text[], text[], text[], text[]);

COMMIT;
