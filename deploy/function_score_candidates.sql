-- Deploy company_enrichment:function_score_candidates to pg
-- (reworked after v0.2.1: a full name spelled as the key scores 1.00 without normalize_name, issue 12;
-- reworked after v0.5.1: a flat check of every answer instead of three statements, issue 12)
-- requires: table_eqc_match_scores
-- requires: function_normalize_name
-- requires: function_eqc_candidate_fault

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
-- and companyFullName may be absent. The first answer with a fault raises,
-- with the answer and candidate named (22023, or 22001 for a value too long);
-- within an answer: its shape (not an array, over 100 candidates) first, then
-- its first invalid candidate, then a company it lists twice.
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
    _ok    boolean;
BEGIN
    -- The common case in one flat pass: is every answer an array of at most
    -- 100 valid candidates, with no company listed twice? (This took three
    -- statements, each expanding every answer again.)
    SELECT COALESCE(pg_catalog.bool_and(c.ok), true)
           AND pg_catalog.count(DISTINCT c.ord || ':' || c.id) FILTER (WHERE c.n > 1)
               = pg_catalog.count(c.id) FILTER (WHERE c.n > 1)
      INTO _ok
      FROM (SELECT a.ord, pg_catalog.btrim(e.value ->> 'companyId') AS id, l.n,
                   t.kind = 'array' AND l.n <= 100
                   AND (e.value IS NULL OR enterprise._eqc_candidate_fault(e.value, _score_candidates.scored) IS NULL) AS ok
              FROM ROWS FROM (pg_catalog.unnest(answers)) WITH ORDINALITY AS a(answer, ord)
             CROSS JOIN LATERAL (SELECT CASE WHEN a.answer IS NULL THEN 'NULL'
                                             ELSE pg_catalog.jsonb_typeof(a.answer) END AS kind) AS t
             CROSS JOIN LATERAL (SELECT CASE WHEN t.kind = 'array' THEN pg_catalog.jsonb_array_length(a.answer) END AS n) AS l
              LEFT JOIN LATERAL pg_catalog.jsonb_array_elements(CASE WHEN t.kind = 'array' THEN a.answer ELSE '[]' END)
                        AS e(value) ON true) AS c;

    -- Else one pass finds the first fault, and names it: each answer's checks
    -- in the order of precedence; only an answer of two or more candidates is
    -- searched for a company listed twice.
    IF NOT _ok THEN
        SELECT a.ord, f.step, t.kind, f.n, f.rank, f.value, f.message, f.id, f.ranks
          INTO _p
          FROM ROWS FROM (pg_catalog.unnest(answers)) WITH ORDINALITY AS a(answer, ord)
         CROSS JOIN LATERAL (SELECT CASE WHEN a.answer IS NULL THEN 'NULL' ELSE pg_catalog.jsonb_typeof(a.answer) END AS kind) AS t
         CROSS JOIN LATERAL (SELECT CASE WHEN t.kind = 'array' THEN pg_catalog.jsonb_array_length(a.answer) END AS n) AS l
         CROSS JOIN LATERAL (
             -- 1. the answer's shape
             SELECT 1 AS step, l.n, NULL::bigint AS rank, NULL::jsonb AS value, NULL::text AS message,
                    NULL::text AS id, NULL::bigint[] AS ranks
              WHERE t.kind <> 'array' OR l.n > 100
             UNION ALL
             -- 2. its first invalid candidate
             (SELECT 2, l.n, c.rank, c.value, p.message, NULL, NULL
                FROM pg_catalog.jsonb_array_elements(CASE WHEN t.kind = 'array' THEN a.answer ELSE '[]' END)
                     WITH ORDINALITY AS c(value, rank)
               CROSS JOIN LATERAL (SELECT enterprise._eqc_candidate_fault(c.value, _score_candidates.scored) AS message) AS p
               WHERE p.message IS NOT NULL
               ORDER BY c.rank
               LIMIT 1)
             UNION ALL
             -- 3. a company it lists twice (the first such company in EQC's order)
             (SELECT 3, l.n, NULL, NULL, NULL, d.id, d.ranks
                FROM (SELECT pg_catalog.btrim(e.value ->> 'companyId') AS id,
                             pg_catalog.array_agg(e.rank ORDER BY e.rank) AS ranks
                        FROM pg_catalog.jsonb_array_elements(CASE WHEN l.n > 1 THEN a.answer ELSE '[]' END)
                             WITH ORDINALITY AS e(value, rank)
                       GROUP BY pg_catalog.btrim(e.value ->> 'companyId')
                      HAVING pg_catalog.count(*) > 1) AS d
               ORDER BY d.ranks
               LIMIT 1)
             ORDER BY 1
             LIMIT 1
         ) AS f
         ORDER BY a.ord
         LIMIT 1;
        IF FOUND THEN
            _where := CASE WHEN pg_catalog.cardinality(answers) > 1 THEN pg_catalog.format('answer %s, ', _p.ord) ELSE '' END;
            IF _p.step = 1 THEN
                RAISE EXCEPTION USING
                    ERRCODE = 'invalid_parameter_value',
                    MESSAGE = CASE WHEN _p.kind = 'array' THEN 'too many EQC candidates' ELSE 'EQC''s candidates must be a JSON array' END,
                    DETAIL  = pg_catalog.format('answer %s is %s', _p.ord,
                                                CASE WHEN _p.kind = 'array' THEN _p.n || ' candidates' ELSE 'a JSON ' || _p.kind END),
                    HINT    = 'Pass EQC''s "list" as it came: an array of at most 100 candidate objects ([] when EQC found nothing).';
            ELSIF _p.step = 2 THEN
                RAISE EXCEPTION USING
                    ERRCODE = CASE WHEN _p.message LIKE '%longer than%' THEN 'string_data_right_truncation'
                                   ELSE 'invalid_parameter_value' END,
                    MESSAGE = _p.message,
                    DETAIL  = _where || pg_catalog.format('candidate %s: %s', _p.rank, pg_catalog.left(_p.value::text, 300)),
                    HINT    = 'Each candidate is an object with companyId (at most 50 characters), companyFullName, '
                              'and optionally unite_code and type (strings or null).';
            ELSE
                RAISE EXCEPTION USING
                    ERRCODE = 'invalid_parameter_value',
                    MESSAGE = 'EQC listed one company twice',
                    DETAIL  = _where || pg_catalog.format('companyId %L at candidates %s', _p.id, pg_catalog.array_to_string(_p.ranks, ', ')),
                    HINT    = 'Each company may appear once in one answer.';
            END IF;
        END IF;
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
