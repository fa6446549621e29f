-- Revert company_enrichment:function_score_candidates from pg

BEGIN;

DROP FUNCTION enterprise._score_candidates(text[], jsonb[], boolean);

COMMIT;
