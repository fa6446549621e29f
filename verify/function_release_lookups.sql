-- Verify company_enrichment:function_release_lookups on pg

BEGIN;

SELECT 1 / (enterprise.release_lookups('verify') = 0)::int;

ROLLBACK;
