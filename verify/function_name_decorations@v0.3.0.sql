-- Verify company_enrichment:function_name_decorations on pg

BEGIN;

SELECT 1 / (pg_catalog.cardinality(enterprise._name_decorations()) >= 40)::int;

ROLLBACK;
