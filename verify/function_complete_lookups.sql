-- Verify company_enrichment:function_complete_lookups on pg

BEGIN;

SELECT 1 / pg_catalog.has_function_privilege('enrichment_worker',
    'enterprise.complete_lookups(text, bigint[], text[], text[], text[], integer, interval, integer)', 'EXECUTE')::int;

-- the reworked body: an unusable answer is a failed attempt of its request
SELECT 1 / (pg_catalog.pg_get_functiondef('enterprise.complete_lookups(text, bigint[], text[], text[], text[], integer, interval, integer)'::regprocedure)
            LIKE '%enterprise.fail_lookup(%')::int;

ROLLBACK;
