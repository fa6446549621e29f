-- Verify company_enrichment:function_enqueue_lookup on pg

BEGIN;

SELECT 1 / pg_catalog.has_function_privilege('enrichment_worker', 'enterprise.enqueue_lookup(text)', 'EXECUTE')::int;

-- the reworked body: a name under review is answered with its request
SELECT 1 / (pg_catalog.pg_get_functiondef('enterprise.enqueue_lookup(text)'::regprocedure) LIKE '%q.status = ''review''%')::int;

ROLLBACK;
