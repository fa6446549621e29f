-- Verify company_enrichment:function_lookup_company_ids on pg

BEGIN;

SELECT 1 / (count(*) = 1)::int
  FROM enterprise._lookup_company_ids(ARRAY['x'], NULL, NULL, NULL);

ROLLBACK;
