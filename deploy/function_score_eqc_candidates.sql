-- Deploy company_enrichment:function_score_eqc_candidates to pg
-- requires: function_score_candidates

BEGIN;

-- Scores EQC's answer for a name exactly as the worker's answers are scored
-- (_score_candidates), best first (ties: EQC's order). For a person or a
-- program that wants to see why an answer would be learned or sent to review.
CREATE OR REPLACE FUNCTION enterprise.score_eqc_candidates(name text, candidates jsonb)
RETURNS TABLE (
    rank       bigint,
    company_id text,
    full_name  text,
    unite_code text,
    eqc_type   text,
    confidence numeric)
LANGUAGE sql
STABLE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
BEGIN ATOMIC
    SELECT s.rank, s.company_id, s.full_name, s.unite_code, s.eqc_type, s.confidence
      FROM enterprise._score_candidates(ARRAY[enterprise.normalize_name(score_eqc_candidates.name)],
                                        ARRAY[score_eqc_candidates.candidates]) AS s
     ORDER BY s.confidence DESC, s.rank;
END;

COMMENT ON FUNCTION enterprise.score_eqc_candidates(text, jsonb) IS
    'Scores EQC''s candidates (its "list") for a name, best first: 1.00 when the normalized full name equals '
    'the name''s, else by EQC''s match type (eqc_match_scores). Errors: 22023/22001 malformed candidates.';

REVOKE ALL ON FUNCTION enterprise.score_eqc_candidates(text, jsonb) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION enterprise.score_eqc_candidates(text, jsonb)
    TO enrichment_reader, enrichment_worker, enrichment_admin;

COMMIT;
