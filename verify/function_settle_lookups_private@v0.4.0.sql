-- Verify company_enrichment:function_settle_lookups_private on pg

BEGIN;

SELECT 'enterprise._settle_lookups(text, bigint[], jsonb[], text, integer, interval, integer)'::pg_catalog.regprocedure;

-- the reworked body: the official name is normalized only when it is neither the queued spelling nor the key
SELECT 1 / (pg_catalog.strpos(p.prosrc, 'd.official_name NOT IN (d.alias, d.key)') > 0)::int
  FROM pg_catalog.pg_proc AS p
 WHERE p.oid = 'enterprise._settle_lookups(text, bigint[], jsonb[], text, integer, interval, integer)'::pg_catalog.regprocedure;

ROLLBACK;
