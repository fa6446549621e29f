-- Verify company_enrichment:function_record_mapping_history on pg

BEGIN;

SELECT 1 / (p.prosecdef AND p.prorettype = 'trigger'::regtype
            AND p.proconfig @> ARRAY['search_path=pg_catalog, pg_temp'])::int
  FROM pg_catalog.pg_proc AS p
 WHERE p.oid = 'enterprise._record_mapping_history()'::regprocedure;
SELECT 1 / (NOT pg_catalog.has_function_privilege('enrichment_admin', 'enterprise._record_mapping_history()',
                                                   'EXECUTE'))::int;

ROLLBACK;
