-- Verify company_enrichment:function_held_lookup on pg

BEGIN;

SELECT 'enterprise._held_lookup(bigint, text)'::pg_catalog.regprocedure;

ROLLBACK;
