-- Verify company_enrichment:function_lookup_company_ids on pg

BEGIN;

SELECT 1 / (count(*) = 1)::int
  FROM enterprise._lookup_company_ids(ARRAY['x'], NULL, NULL, NULL);
-- Two records with one name: one row each, the same key.
SELECT 1 / (count(*) = 2 AND count(DISTINCT l.name_key) = 1)::int
  FROM enterprise._lookup_company_ids(NULL, ARRAY['验证公司', '验证公司 '], NULL, NULL) AS l;
-- the 0.3 body: distinct names normalized once, distinct keys probed once
SELECT 1 / (pg_catalog.pg_get_functiondef('enterprise._lookup_company_ids(text[], text[], text[], text[])'::regprocedure)
            LIKE '%names AS MATERIALIZED%keys AS MATERIALIZED%accounts AS MATERIALIZED%')::int;

ROLLBACK;
