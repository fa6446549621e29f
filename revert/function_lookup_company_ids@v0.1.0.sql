-- Revert company_enrichment:function_lookup_company_ids from pg

BEGIN;

DROP FUNCTION enterprise._lookup_company_ids(text[], text[], text[], text[]);

COMMIT;
