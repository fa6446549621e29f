-- Revert company_enrichment:function_score_candidates from pg: back to the v0.5.1 body
-- (three validation statements before the scoring). The v0.5.1 deploy script.
-- requires: table_eqc_match_scores
-- requires: function_normalize_name

BEGIN;

SET LOCAL ROLE enrichment_owner;

-- Private: validates and scores EQC's candidates, set-based. keys[i] is the
-- normalized name that was searched, answers[i] EQC's list for it (a JSON
-- array of candidate objects as EQC returns them: companyId, companyFullName,
-- unite_code, type). One row per candidate, in input order, with its rank in
-- EQC's list and, when scored, its confidence:
--   1.00 when normalize_name(companyFullName) equals the key, whatever its type;
--   else the eqc_match_scores row of its type, or the '*' row (0 if none).
-- scored false (a caller that chose the company itself): nothing is scored
-- and companyFullName may be absent. The first invalid candidate raises, with
-- the answer and candidate named (22023, or 22001 for a value too long).
CREATE OR REPLACE FUNCTION enterprise._score_candidates(
    keys    text[],
    answers jsonb[],
    scored  boolean DEFAULT true)
RETURNS TABLE (
    ordinal    bigint,
    rank       bigint,
    company_id text,
    full_name  text,
    unite_code text,
    eqc_type   text,
    confidence numeric,
    raw        jsonb)
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pg_temp
-- Planner settings that keep every call an index lookup with a plan made once
-- per session, whatever the statistics say (README, "Plans that hold").
SET enable_seqscan = off
SET jit = off
SET plan_cache_mode = force_generic_plan
AS $$
#variable_conflict use_column
DECLARE
    _p     record;
    _where text;
BEGIN
    SELECT a.ord, CASE WHEN a.answer IS NULL THEN 'NULL' ELSE pg_catalog.jsonb_typeof(a.answer) END AS kind,
           CASE WHEN pg_catalog.jsonb_typeof(a.answer) = 'array' THEN pg_catalog.jsonb_array_length(a.answer) END AS n
      INTO _p
      FROM ROWS FROM (pg_catalog.unnest(answers)) WITH ORDINALITY AS a(answer, ord)
     WHERE a.answer IS NULL OR pg_catalog.jsonb_typeof(a.answer) <> 'array' OR pg_catalog.jsonb_array_length(a.answer) > 100
     ORDER BY a.ord
     LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION USING
            ERRCODE = 'invalid_parameter_value',
            MESSAGE = CASE WHEN _p.kind = 'array' THEN 'too many EQC candidates' ELSE 'EQC''s candidates must be a JSON array' END,
            DETAIL  = pg_catalog.format('answer %s is %s', _p.ord,
                                        CASE WHEN _p.kind = 'array' THEN _p.n || ' candidates' ELSE 'a JSON ' || _p.kind END),
            HINT    = 'Pass EQC''s "list" as it came: an array of at most 100 candidate objects ([] when EQC found nothing).';
    END IF;

    SELECT c.ord, c.rank, c.value, p.message INTO _p
      FROM (SELECT a.ord, e.value, e.rank
              FROM ROWS FROM (pg_catalog.unnest(answers)) WITH ORDINALITY AS a(answer, ord)
             CROSS JOIN LATERAL pg_catalog.jsonb_array_elements(a.answer) WITH ORDINALITY AS e(value, rank)) AS c
     CROSS JOIN LATERAL (SELECT CASE
         WHEN pg_catalog.jsonb_typeof(c.value) <> 'object' THEN 'an EQC candidate must be a JSON object'
         WHEN COALESCE(pg_catalog.jsonb_typeof(c.value -> 'companyId'), 'null') NOT IN ('string', 'number')
              OR pg_catalog.btrim(c.value ->> 'companyId') = '' THEN 'an EQC candidate has no companyId'
         WHEN pg_catalog.length(pg_catalog.btrim(c.value ->> 'companyId')) > 50 THEN 'companyId is longer than 50 characters'
         WHEN pg_catalog.jsonb_typeof(c.value -> 'companyFullName') NOT IN ('string', 'null')
              THEN 'companyFullName must be a string'
         WHEN _score_candidates.scored AND COALESCE(pg_catalog.btrim(c.value ->> 'companyFullName'), '') = ''
              THEN 'an EQC candidate has no companyFullName'
         WHEN pg_catalog.length(c.value ->> 'companyFullName') > 1000 THEN 'companyFullName is longer than 1000 characters'
         WHEN pg_catalog.jsonb_typeof(c.value -> 'unite_code') NOT IN ('string', 'null') THEN 'unite_code must be a string'
         WHEN pg_catalog.length(pg_catalog.btrim(c.value ->> 'unite_code')) > 50 THEN 'unite_code is longer than 50 characters'
         WHEN pg_catalog.jsonb_typeof(c.value -> 'type') NOT IN ('string', 'null') THEN 'type must be a string'
         WHEN pg_catalog.length(pg_catalog.btrim(c.value ->> 'type')) > 50 THEN 'type is longer than 50 characters'
         END AS message) AS p
     WHERE p.message IS NOT NULL
     ORDER BY c.ord, c.rank
     LIMIT 1;
    IF FOUND THEN
        _where := CASE WHEN pg_catalog.cardinality(answers) > 1 THEN pg_catalog.format('answer %s, ', _p.ord) ELSE '' END;
        RAISE EXCEPTION USING
            ERRCODE = CASE WHEN _p.message LIKE '%longer than%' THEN 'string_data_right_truncation'
                           ELSE 'invalid_parameter_value' END,
            MESSAGE = _p.message,
            DETAIL  = _where || pg_catalog.format('candidate %s: %s', _p.rank, pg_catalog.left(_p.value::text, 300)),
            HINT    = 'Each candidate is an object with companyId (at most 50 characters), companyFullName, '
                      'and optionally unite_code and type (strings or null).';
    END IF;

    SELECT a.ord, pg_catalog.btrim(e.value ->> 'companyId') AS id, pg_catalog.array_agg(e.rank ORDER BY e.rank) AS ranks
      INTO _p
      FROM ROWS FROM (pg_catalog.unnest(answers)) WITH ORDINALITY AS a(answer, ord)
     CROSS JOIN LATERAL pg_catalog.jsonb_array_elements(a.answer) WITH ORDINALITY AS e(value, rank)
     GROUP BY a.ord, pg_catalog.btrim(e.value ->> 'companyId')
    HAVING pg_catalog.count(*) > 1
     ORDER BY a.ord
     LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION USING
            ERRCODE = 'invalid_parameter_value',
            MESSAGE = 'EQC listed one company twice',
            DETAIL  = CASE WHEN pg_catalog.cardinality(answers) > 1 THEN pg_catalog.format('answer %s, ', _p.ord) ELSE '' END
                      || pg_catalog.format('companyId %L at candidates %s', _p.id, pg_catalog.array_to_string(_p.ranks, ', ')),
            HINT    = 'Each company may appear once in one answer.';
    END IF;

    RETURN QUERY
    SELECT a.ord, e.rank,
           pg_catalog.btrim(e.value ->> 'companyId'),
           NULLIF(pg_catalog.btrim(e.value ->> 'companyFullName'), ''),
           NULLIF(pg_catalog.btrim(e.value ->> 'unite_code'), ''),
           NULLIF(pg_catalog.btrim(e.value ->> 'type'), ''),
           CASE WHEN NOT _score_candidates.scored THEN NULL
                -- the key is a fixed point of normalize_name: a full name spelled as
                -- the key (EQC is searched with it) needs no normalizing
                WHEN e.value ->> 'companyFullName' = a.key THEN 1.00
                WHEN enterprise.normalize_name(e.value ->> 'companyFullName') = a.key THEN 1.00
                ELSE COALESCE((SELECT s.confidence FROM enterprise.eqc_match_scores AS s
                                WHERE s.eqc_type = NULLIF(pg_catalog.btrim(e.value ->> 'type'), '')),
                              (SELECT s.confidence FROM enterprise.eqc_match_scores AS s WHERE s.eqc_type = '*'),
                              0.00)
           END,
           e.value
      FROM ROWS FROM (pg_catalog.unnest(keys), pg_catalog.unnest(answers)) WITH ORDINALITY AS a(key, answer, ord)
     CROSS JOIN LATERAL pg_catalog.jsonb_array_elements(a.answer) WITH ORDINALITY AS e(value, rank)
     ORDER BY a.ord, e.rank;
END;
$$;

COMMENT ON FUNCTION enterprise._score_candidates(text[], jsonb[], boolean) IS
    'Private: validates EQC candidates and scores each against the searched key (1.00 for an equal '
    'normalized full name, else eqc_match_scores by type). Raises 22023/22001 on the first bad candidate.';

REVOKE ALL ON FUNCTION enterprise._score_candidates(text[], jsonb[], boolean) FROM PUBLIC;

COMMIT;
