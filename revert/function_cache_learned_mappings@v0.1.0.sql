-- Revert company_enrichment:function_cache_learned_mappings from pg

BEGIN;

DROP FUNCTION enterprise._cache_learned_mappings(text[], text[], text);

COMMIT;
