-- Verify company_enrichment:function_settle_lookups_private on pg

BEGIN;

SELECT 'enterprise._settle_lookups(text, bigint[], jsonb[], text, integer, interval, integer)'::pg_catalog.regprocedure;

ROLLBACK;
