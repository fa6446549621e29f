-- Revert company_enrichment:function_cache_company_mapping from pg

BEGIN;

DROP FUNCTION enterprise.cache_company_mapping(text, text, text);

COMMIT;
