-- Verify company_enrichment:function_take_for_review on pg

BEGIN;

SELECT 'enterprise._take_for_review(bigint)'::pg_catalog.regprocedure;

ROLLBACK;
