-- Verify company_enrichment:function_settled_since on pg

BEGIN;

SELECT 1 / (enterprise._settled_since('verify', pg_catalog.now()) IS NULL)::int;

ROLLBACK;
