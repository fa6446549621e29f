-- Verify company_enrichment:function_configure_eqc_match_score on pg

BEGIN;

SELECT 1 / pg_catalog.has_function_privilege('enrichment_admin',
    'enterprise.configure_eqc_match_score(text, numeric)', 'EXECUTE')::int;

ROLLBACK;
