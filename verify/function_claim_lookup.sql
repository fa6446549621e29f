-- Verify company_enrichment:function_claim_lookup on pg

BEGIN;

SELECT 1 / pg_catalog.has_function_privilege('enrichment_worker',
    'enterprise.claim_lookup(bigint, text, interval)', 'EXECUTE')::int;

ROLLBACK;
