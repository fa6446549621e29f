-- Verify company_enrichment:function_acquire_eqc_permit on pg

BEGIN;

SELECT 1 / pg_catalog.has_function_privilege('enrichment_worker',
    'enterprise.acquire_eqc_permit(integer, text)', 'EXECUTE')::int;

ROLLBACK;
