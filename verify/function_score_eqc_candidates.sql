-- Verify company_enrichment:function_score_eqc_candidates on pg

BEGIN;

SELECT 1 / pg_catalog.has_function_privilege('enrichment_reader', 'enterprise.score_eqc_candidates(text, jsonb)',
                                             'EXECUTE')::int;

ROLLBACK;
