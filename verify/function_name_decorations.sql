-- Verify company_enrichment:function_name_decorations on pg

BEGIN;

SELECT 1 / (pg_catalog.cardinality(enterprise._name_decorations()) >= 40)::int;

-- the reworked body (after v0.3.0): plpgsql, compiled once per session
SELECT 1 / (l.lanname = 'plpgsql')::int
  FROM pg_catalog.pg_proc AS p JOIN pg_catalog.pg_language AS l ON l.oid = p.prolang
 WHERE p.oid = 'enterprise._name_decorations()'::regprocedure;

ROLLBACK;
