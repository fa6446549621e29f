-- Verify company_enrichment:function_settled_since on pg

BEGIN;

SELECT 1 / (enterprise._settled_since('verify', pg_catalog.now()) IS NULL)::int;

-- reworked after v0.2.1: the probe fits only the name index
SELECT 1 / (pg_catalog.pg_get_functiondef('enterprise._settled_since(text, timestamptz)'::regprocedure)
            LIKE '%q.status IN (''done'', ''failed'') AND q.outcome IS NOT NULL%')::int;

ROLLBACK;
