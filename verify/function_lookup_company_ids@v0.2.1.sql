-- Verify company_enrichment:function_lookup_company_ids on pg

BEGIN;

SELECT 1 / (count(*) = 1)::int
  FROM enterprise._lookup_company_ids(ARRAY['x'], NULL, NULL, NULL);
-- the reworked body: the settings row is read by its key
SELECT 1 / (pg_catalog.pg_get_functiondef('enterprise._lookup_company_ids(text[], text[], text[], text[])'::regprocedure)
            LIKE '%c.singleton%')::int;

ROLLBACK;
