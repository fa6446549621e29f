-- Verify company_enrichment:function_accept_lookup_candidate on pg

BEGIN;

SELECT 1 / pg_catalog.has_function_privilege('enrichment_admin',
    'enterprise.accept_lookup_candidate(bigint, text, boolean)', 'EXECUTE')::int;

ROLLBACK;
