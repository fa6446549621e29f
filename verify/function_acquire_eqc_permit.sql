-- Verify company_enrichment:function_acquire_eqc_permit on pg

BEGIN;

SELECT 1 / pg_catalog.has_function_privilege('enrichment_worker',
    'enterprise.acquire_eqc_permit(integer, text)', 'EXECUTE')::int;

-- the reworked body: the clock is read after the bucket's row lock
SELECT 1 / (pg_catalog.pg_get_functiondef('enterprise.acquire_eqc_permit(integer, text)'::regprocedure)
            LIKE '%FOR UPDATE;%_now := pg_catalog.clock_timestamp();%')::int;

ROLLBACK;
