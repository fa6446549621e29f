-- Revert company_enrichment:function_score_eqc_candidates from pg

BEGIN;

DROP FUNCTION enterprise.score_eqc_candidates(text, jsonb);

COMMIT;
