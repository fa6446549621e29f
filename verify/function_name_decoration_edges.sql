-- Verify company_enrichment:function_name_decoration_edges on pg

BEGIN;

SELECT 1 / (pg_catalog.strpos((enterprise._name_decoration_edges())[1], '已') > 0)::int;

-- the reworked body (after v0.3.0): plpgsql, and its constants are the edges of _name_decorations()
SELECT 1 / (l.lanname = 'plpgsql')::int
  FROM pg_catalog.pg_proc AS p JOIN pg_catalog.pg_language AS l ON l.oid = p.prolang
 WHERE p.oid = 'enterprise._name_decoration_edges()'::regprocedure;
SELECT 1 / (NOT EXISTS (
    SELECT pg_catalog.left(d, 1) FROM pg_catalog.unnest(enterprise._name_decorations()) AS d
     WHERE pg_catalog.strpos((enterprise._name_decoration_edges())[1], pg_catalog.left(d, 1)) = 0
    UNION ALL
    SELECT pg_catalog.right(d, 1) FROM pg_catalog.unnest(enterprise._name_decorations()) AS d
     WHERE pg_catalog.strpos((enterprise._name_decoration_edges())[2], pg_catalog.right(d, 1)) = 0))::int;

ROLLBACK;
