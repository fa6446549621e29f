-- Deploy company_enrichment:function_configure_eqc_match_score to pg
-- requires: table_eqc_match_scores

BEGIN;

-- Sets the confidence of one EQC match type ('*': a candidate without a type,
-- or with a type not listed), adding the type when it is new. Returns every
-- score in force; called without arguments it only lists them. Answers
-- already settled keep the score they had.
CREATE OR REPLACE FUNCTION enterprise.configure_eqc_match_score(
    eqc_type   text    DEFAULT NULL,
    confidence numeric DEFAULT NULL)
RETURNS SETOF enterprise.eqc_match_scores
LANGUAGE plpgsql
VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF eqc_type IS NULL AND confidence IS NULL THEN
        RETURN QUERY SELECT * FROM enterprise.eqc_match_scores AS s ORDER BY s.confidence DESC, s.eqc_type;
        RETURN;
    END IF;
    IF COALESCE(pg_catalog.btrim(eqc_type), '') = '' OR pg_catalog.length(pg_catalog.btrim(eqc_type)) > 50
       OR confidence IS NULL OR confidence NOT BETWEEN 0 AND 1 THEN
        RAISE EXCEPTION USING
            ERRCODE = 'invalid_parameter_value',
            MESSAGE = 'invalid EQC match score',
            DETAIL  = pg_catalog.format('eqc_type %L, confidence %s', eqc_type, COALESCE(confidence::text, 'NULL')),
            HINT    = 'eqc_type is EQC''s match type (1 to 50 characters, ''*'' for any other); '
                      'confidence is between 0 and 1.';
    END IF;
    INSERT INTO enterprise.eqc_match_scores AS s (eqc_type, confidence)
    VALUES (pg_catalog.btrim(configure_eqc_match_score.eqc_type), configure_eqc_match_score.confidence)
    ON CONFLICT ON CONSTRAINT eqc_match_scores_pkey DO UPDATE
       SET confidence = EXCLUDED.confidence, updated_at = pg_catalog.now();
    RETURN QUERY SELECT * FROM enterprise.eqc_match_scores AS s ORDER BY s.confidence DESC, s.eqc_type;
END;
$$;

COMMENT ON FUNCTION enterprise.configure_eqc_match_score(text, numeric) IS
    'Sets the confidence of an EQC match type (''*'' = absent or any other) and returns every score '
    '(no arguments: lists them). '
    'Errors: 22023 blank or over-long type, confidence outside 0..1.';

REVOKE ALL ON FUNCTION enterprise.configure_eqc_match_score(text, numeric) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION enterprise.configure_eqc_match_score(text, numeric) TO enrichment_admin;

COMMIT;
