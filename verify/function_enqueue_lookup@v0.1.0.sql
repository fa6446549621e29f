-- Verify company_enrichment:function_enqueue_lookup on pg

BEGIN;

SELECT 1 / pg_catalog.has_function_privilege('enrichment_worker', 'enterprise.enqueue_lookup(text)', 'EXECUTE')::int;

ROLLBACK;
