-- Revert company_enrichment:function_preview_company_ids from pg

BEGIN;

DROP FUNCTION enterprise.preview_company_ids(text[], text[], text[], text[]);

COMMIT;
