-- Verify company_enrichment:function_name_decoration_edges on pg

BEGIN;

SELECT 1 / (pg_catalog.strpos((enterprise._name_decoration_edges())[1], '已') > 0)::int;

ROLLBACK;
