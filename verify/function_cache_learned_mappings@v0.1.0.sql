-- Verify company_enrichment:function_cache_learned_mappings on pg

BEGIN;

SELECT 'enterprise._cache_learned_mappings(text[], text[], text)'::pg_catalog.regprocedure;

ROLLBACK;
