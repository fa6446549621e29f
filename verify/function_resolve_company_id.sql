-- Verify company_enrichment:function_resolve_company_id on pg

BEGIN;

SELECT 1 / pg_catalog.has_function_privilege('enrichment_reader',
    'enterprise.resolve_company_id(text, text, text, text)', 'EXECUTE')::int;
SELECT 1 / ((enterprise.resolve_company_id(customer_name => 'verify')).status = 'pending_lookup')::int;

-- the reworked body: plpgsql, with its search_path pinned
SELECT 1 / (l.lanname = 'plpgsql' AND p.proconfig IS NOT DISTINCT FROM ARRAY['search_path=pg_catalog, pg_temp'])::int
  FROM pg_catalog.pg_proc AS p
  JOIN pg_catalog.pg_language AS l ON l.oid = p.prolang
 WHERE p.oid = 'enterprise.resolve_company_id(text, text, text, text)'::pg_catalog.regprocedure;

ROLLBACK;
