-- Verify company_enrichment:function_claim_lookups on pg

BEGIN;

SELECT 1 / pg_catalog.has_function_privilege('enrichment_worker',
    'enterprise.claim_lookups(integer, text, interval, integer)', 'EXECUTE')::int;

ROLLBACK;
