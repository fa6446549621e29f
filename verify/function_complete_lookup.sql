-- Verify company_enrichment:function_complete_lookup on pg

BEGIN;

SELECT 1 / pg_catalog.has_function_privilege('enrichment_worker',
    'enterprise.complete_lookup(bigint, text, text, text, text)', 'EXECUTE')::int;

-- the reworked body: the id is checked against the request's key
SELECT 1 / (pg_catalog.pg_get_functiondef('enterprise.complete_lookup(bigint, text, text, text, text)'::regprocedure)
            LIKE '%_check_mapping(_r.normalized_name%')::int;

ROLLBACK;
