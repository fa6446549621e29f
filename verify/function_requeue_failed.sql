-- Verify company_enrichment:function_requeue_failed on pg

BEGIN;

SELECT 1 / pg_catalog.has_function_privilege('enrichment_admin', 'enterprise.requeue_failed(interval)', 'EXECUTE')::int;

ROLLBACK;
