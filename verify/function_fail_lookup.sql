-- Verify company_enrichment:function_fail_lookup on pg

BEGIN;

SELECT 1 / pg_catalog.has_function_privilege('enrichment_worker',
    'enterprise.fail_lookup(bigint, text, text, interval, integer, interval)', 'EXECUTE')::int;

-- the reworked body: retry_after is capped at backoff_cap
SELECT 1 / (pg_catalog.pg_get_functiondef('enterprise.fail_lookup(bigint, text, text, interval, integer, interval)'::regprocedure)
            LIKE '%LEAST(retry_after, _s.backoff_cap)%')::int;

ROLLBACK;
