-- Deploy company_enrichment:function_settle_lookups_private to pg
-- (reworked after v0.4.0: the learned names are written by the settle's own
-- statement, no longer through _cache_learned_mappings; reworked after
-- v0.5.0: the held requests are locked in one primary-key scan, whatever
-- plan a small table gave, and find their answers by position, issue 12;
-- reworked after v0.5.1: the scored candidates are held as arrays of
-- columns, and settled and reviewed requests written by one UPDATE, issue 12)
-- requires: table_lookup_requests_review
-- requires: table_eqc_companies
-- requires: table_queue_settings_auto_accept
-- requires: function_score_candidates
-- requires: function_name_temp_key
-- requires: function_claim_lookups
-- requires: function_fail_lookup
-- requires: function_check_worker

BEGIN;

SET LOCAL ROLE enrichment_owner;

-- Private: the one implementation of settling held lookups, behind
-- settle_lookups (the worker: EQC's answers, scored here), complete_lookups
-- (a caller that chose the company itself) and the review decisions.
-- Element i of request_ids and candidates is one answer: EQC's candidates
-- for the request (a JSON array, [] = EQC found nothing). mode says who
-- decides:
--   'eqc'    scored; the best candidate (ties: EQC's order) is learned when it
--            scores at least queue_settings.auto_accept_confidence, else the
--            request goes to review with its scored candidates; every
--            candidate is remembered in eqc_companies;
--   'caller' the first candidate is learned, unscored (confidence NULL);
--   'person' the first candidate is learned with confidence 1.00.
-- Found: the request's name is cached as a learned mapping under the
-- request's key (the queued spelling, or the key itself when the queue cut a
-- longer spelling), and the company's official name too when it is another
-- key that fits; never over a curated row. Not found: the name's TEMP id is
-- minted now. Requests the worker does not hold are skipped. An answer with
-- an invalid candidate settles nothing: it is a failed attempt of its own
-- request (fail_lookup), and the rest of the batch settles.
-- Rows returned: settled (done), sent to review (review), failed attempts
-- (pending or failed), then the next batch claimed when claim_next > 0
-- (processing).
CREATE OR REPLACE FUNCTION enterprise._settle_lookups(
    worker       text,
    request_ids  bigint[],
    candidates   jsonb[],
    mode         text,
    claim_next   integer  DEFAULT 0,
    lease        interval DEFAULT NULL,
    max_attempts integer  DEFAULT NULL)
RETURNS SETOF enterprise.lookup_requests
LANGUAGE plpgsql
VOLATILE
SET search_path = pg_catalog, pg_temp
-- Planner settings that keep every call an index lookup with a plan made once
-- per session, whatever the statistics say (README, "Plans that hold").
SET enable_seqscan = off
SET jit = off
SET plan_cache_mode = force_generic_plan
AS $$
DECLARE
    _ids       bigint[];
    _keys      text[];
    _aliases   text[];
    _answers   jsonb[];
    -- the scored candidates, one element per candidate (c_ord: its answer's
    -- position in _ids), as columns: never built into JSON objects and
    -- parsed again
    _c_ord     bigint[];
    _c_rank    bigint[];
    _c_id      text[];
    _c_name    text[];
    _c_code    text[];
    _c_type    text[];
    _c_conf    numeric[];
    _c_raw     jsonb[];
    _bad       bigint[] := '{}';
    _why       text[]   := '{}';
    _detail    text;
    _threshold numeric;
BEGIN
    PERFORM enterprise._check_worker(worker);
    IF mode IS NULL OR mode NOT IN ('eqc', 'caller', 'person') THEN
        RAISE EXCEPTION USING
            ERRCODE = 'invalid_parameter_value',
            MESSAGE = 'invalid settle mode',
            DETAIL  = pg_catalog.format('mode %L', mode),
            HINT    = 'mode is eqc, caller or person.';
    END IF;
    SELECT s.auto_accept_confidence INTO _threshold FROM enterprise.queue_settings AS s WHERE s.singleton;

    -- Lock what the worker holds (the rest is skipped), with the name each
    -- found answer caches: a spelling the queue kept whole has the request's
    -- key; one cut at 255 characters may not, and then the key is cached.
    WITH locked AS MATERIALIZED (
        -- One primary-key scan for the batch ("= ANY": bounded by the batch
        -- whatever the statistics said when the plan was made; a join with
        -- the answers instead let a plan made on a small table read a whole
        -- partial index). Each row finds its answer by position in C
        -- (array_position: the first time the id was given), not by joining
        -- the answers back: that join read every answer again for each row
        -- (2,450 comparisons of whole rows for 50 answers).
        SELECT q.id, q.name, q.normalized_name,
               _settle_lookups.candidates[p.ord - pg_catalog.array_lower(_settle_lookups.request_ids, 1)
                                          + pg_catalog.array_lower(_settle_lookups.candidates, 1)] AS answer,
               p.ord
          FROM enterprise.lookup_requests AS q
         CROSS JOIN LATERAL (SELECT pg_catalog.array_position(_settle_lookups.request_ids, q.id) AS ord) AS p
         WHERE q.id = ANY (_settle_lookups.request_ids)
           -- status = 'processing' AND lease_owner = worker, written so that
           -- no partial index's predicate can be proved from it: a plan made
           -- while the queue was small read the whole of
           -- lookup_requests_active_name_key instead of the key
           AND (CASE WHEN q.status = 'processing' THEN q.lease_owner END) = _settle_lookups.worker
         -- locked in id order (sessions lock rows in one order)
         ORDER BY q.id
           FOR UPDATE OF q
    ),
    held AS (
        -- a request given twice: its first answer counts (array_position
        -- finds the first; each locked row is here once)
        SELECT DISTINCT ON (l.id) l.id, l.normalized_name,
               CASE WHEN pg_catalog.length(l.name) < 255 OR enterprise.normalize_name(l.name) = l.normalized_name
                    THEN l.name ELSE l.normalized_name
               END AS alias,
               l.answer, l.ord
          FROM locked AS l
         ORDER BY l.id, l.ord
    )
    SELECT pg_catalog.array_agg(h.id ORDER BY h.ord), pg_catalog.array_agg(h.normalized_name ORDER BY h.ord),
           pg_catalog.array_agg(h.alias ORDER BY h.ord), pg_catalog.array_agg(h.answer ORDER BY h.ord)
      INTO _ids, _keys, _aliases, _answers
      FROM held AS h;
    IF _ids IS NULL THEN
        _ids := '{}';
    END IF;

    -- Validate and score every answer at once; only when that fails (rare)
    -- one by one, to fail just the culprits.
    BEGIN
        SELECT pg_catalog.array_agg(s.ordinal), pg_catalog.array_agg(s.rank), pg_catalog.array_agg(s.company_id),
               pg_catalog.array_agg(s.full_name), pg_catalog.array_agg(s.unite_code), pg_catalog.array_agg(s.eqc_type),
               pg_catalog.array_agg(s.confidence), pg_catalog.array_agg(s.raw)
          INTO _c_ord, _c_rank, _c_id, _c_name, _c_code, _c_type, _c_conf, _c_raw
          FROM enterprise._score_candidates(_keys, _answers, mode = 'eqc') AS s;
    EXCEPTION WHEN invalid_parameter_value OR string_data_right_truncation THEN
        _c_ord := '{}'; _c_rank := '{}'; _c_id := '{}'; _c_name := '{}';
        _c_code := '{}'; _c_type := '{}'; _c_conf := '{}'; _c_raw := '{}';
        FOR i IN 1 .. pg_catalog.cardinality(_ids) LOOP
            BEGIN
                SELECT _c_ord || COALESCE(pg_catalog.array_agg(i::bigint), '{}'),
                       _c_rank || COALESCE(pg_catalog.array_agg(s.rank), '{}'),
                       _c_id || COALESCE(pg_catalog.array_agg(s.company_id), '{}'),
                       _c_name || COALESCE(pg_catalog.array_agg(s.full_name), '{}'),
                       _c_code || COALESCE(pg_catalog.array_agg(s.unite_code), '{}'),
                       _c_type || COALESCE(pg_catalog.array_agg(s.eqc_type), '{}'),
                       _c_conf || COALESCE(pg_catalog.array_agg(s.confidence), '{}'),
                       _c_raw || COALESCE(pg_catalog.array_agg(s.raw), '{}')
                  INTO _c_ord, _c_rank, _c_id, _c_name, _c_code, _c_type, _c_conf, _c_raw
                  FROM enterprise._score_candidates(ARRAY[_keys[i]], ARRAY[_answers[i]], mode = 'eqc') AS s;
            EXCEPTION WHEN invalid_parameter_value OR string_data_right_truncation THEN
                GET STACKED DIAGNOSTICS _detail = PG_EXCEPTION_DETAIL;
                _bad := _bad || _ids[i];
                _why := _why || pg_catalog.format('unusable EQC answer: %s (%s)', SQLERRM, _detail);
            END;
        END LOOP;
    END;

    RETURN QUERY
    WITH candidate AS MATERIALIZED (
        -- every scored candidate, as columns
        SELECT c.ord, c.rank, c.company_id, c.full_name, c.unite_code, c.eqc_type, c.confidence, c.raw
          FROM ROWS FROM (pg_catalog.unnest(_c_ord), pg_catalog.unnest(_c_rank), pg_catalog.unnest(_c_id),
                          pg_catalog.unnest(_c_name), pg_catalog.unnest(_c_code), pg_catalog.unnest(_c_type),
                          pg_catalog.unnest(_c_conf), pg_catalog.unnest(_c_raw))
               AS c(ord, rank, company_id, full_name, unite_code, eqc_type, confidence, raw)
    ),
    decided AS MATERIALIZED (
        -- Each answer's decision and, when found, what is learned from its
        -- best candidate (the highest confidence; ties: EQC's order):
        -- computed once here, read by every write below.
        SELECT b.id, b.key, b.alias, b.ord, b.decision,
               CASE WHEN b.decision = 'found' THEN b.company_id END AS company_id,
               CASE WHEN b.decision = 'found' THEN b.full_name END AS official_name,
               CASE WHEN b.decision = 'found' THEN b.unite_code END AS unite_code,
               CASE WHEN b.decision = 'found' THEN b.eqc_type END AS eqc_type,
               CASE WHEN b.decision <> 'found' THEN NULL
                    WHEN mode = 'person' THEN 1.00
                    ELSE b.confidence
               END AS confidence
          FROM (SELECT u.id, u.key, u.alias, u.ord, c.company_id, c.full_name, c.unite_code, c.eqc_type, c.confidence,
                       CASE WHEN c.ord IS NULL THEN 'not_found'
                            WHEN mode <> 'eqc' OR c.confidence >= _threshold THEN 'found'
                            ELSE 'review'
                       END AS decision
                  FROM ROWS FROM (pg_catalog.unnest(_ids), pg_catalog.unnest(_keys), pg_catalog.unnest(_aliases))
                       WITH ORDINALITY AS u(id, key, alias, ord)
                  LEFT JOIN (SELECT DISTINCT ON (c.ord) c.*
                               FROM candidate AS c
                              ORDER BY c.ord, c.confidence DESC NULLS LAST, c.rank) AS c ON c.ord = u.ord
                 WHERE NOT u.id = ANY (_bad)) AS b
    ),
    companies AS (
        -- What EQC said about every company it returned, in id order (no deadlocks).
        INSERT INTO enterprise.eqc_companies AS e (company_id, full_name, unite_code, raw, last_search_key)
        SELECT DISTINCT ON (c.company_id) c.company_id, c.full_name, c.unite_code, c.raw, d.key
          FROM decided AS d
          JOIN candidate AS c ON c.ord = d.ord
         WHERE mode = 'eqc'
         ORDER BY c.company_id, d.id DESC
        ON CONFLICT ON CONSTRAINT eqc_companies_pkey DO UPDATE
           SET full_name = EXCLUDED.full_name, unite_code = EXCLUDED.unite_code, raw = EXCLUDED.raw,
               last_search_key = EXCLUDED.last_search_key, last_seen_at = pg_catalog.now()
    ),
    learned AS (
        -- The queued name, under the request's key; and EQC's official name
        -- when it is another key that fits: it is that company's own name, so
        -- it is as sure as EQC's id. An official name spelled as the queued
        -- name or as the key has the request's key (the key is a fixed point
        -- of normalize_name): it is left out without normalizing it, and any
        -- other is normalized once.
        SELECT d.id, 0 AS rank, d.alias, d.key, d.company_id, d.confidence, d.eqc_type
          FROM decided AS d
         WHERE d.decision = 'found'
        UNION ALL
        SELECT d.id, 1, d.official_name, n.key, d.company_id, CASE WHEN mode = 'caller' THEN NULL ELSE 1.00 END, NULL
          FROM decided AS d
         CROSS JOIN LATERAL (SELECT enterprise.normalize_name(d.official_name) AS key OFFSET 0) AS n
         WHERE d.decision = 'found'
           AND d.official_name NOT IN (d.alias, d.key)
           AND pg_catalog.length(d.official_name) <= 255
           AND COALESCE(n.key, '') NOT IN ('', d.key)
    ),
    firsts AS MATERIALIZED (
        -- The learned-name UPSERT, never over a curated row, written here
        -- rather than through _cache_learned_mappings: these names were
        -- checked when they were queued and these ids by _score_candidates.
        -- One row per key (the first answer's, the queued name before the
        -- official one), with what the table has under it: a curated row, or
        -- a learned row's id and tuple id. Probes are correlated LIMIT 1
        -- subqueries: always an index probe per key, never a hash of every
        -- curated name, whatever the statistics say.
        SELECT f.*,
               COALESCE((SELECT true FROM enterprise.company_mapping AS m
                          WHERE m.match_type = 'name' AND m.lookup_key = f.key AND m.source = 'internal'
                          LIMIT 1), false) AS curated,
               l.canonical_id AS learned_id, l.ctid AS learned_ctid
          FROM (SELECT DISTINCT ON (l.key) l.key, pg_catalog.btrim(l.alias) AS alias,
                       pg_catalog.btrim(l.company_id) AS company_id, l.confidence,
                       NULLIF(pg_catalog.btrim(l.eqc_type), '') AS eqc_type
                  FROM learned AS l
                 ORDER BY l.key, l.id, l.rank) AS f
          LEFT JOIN LATERAL (SELECT m.canonical_id, m.ctid FROM enterprise.company_mapping AS m
                              WHERE m.match_type = 'name' AND m.lookup_key = f.key AND m.source <> 'internal'
                              LIMIT 1) AS l ON true
    ),
    inserted AS (
        -- a new key: inserted, in key order (sessions never deadlock); a
        -- concurrent settle that inserted it first wins (DO NOTHING covers
        -- both unique keys)
        INSERT INTO enterprise.company_mapping AS m
               (alias_name, canonical_id, source, match_type, priority, confidence, eqc_type)
        SELECT f.alias, f.company_id, 'EQC', 'name', 4, f.confidence, f.eqc_type
          FROM firsts AS f
         WHERE NOT f.curated AND f.learned_id IS NULL
         ORDER BY f.key
        ON CONFLICT DO NOTHING
    ),
    updated AS (
        -- a learned row with another id (rare): updated, picked by tuple id so
        -- the plan is never a scan of every learned name
        UPDATE enterprise.company_mapping AS m
           SET canonical_id = f.company_id, confidence = f.confidence, eqc_type = f.eqc_type,
               source = 'EQC', updated_at = pg_catalog.now()
          FROM firsts AS f
         WHERE m.ctid = ANY (ARRAY(SELECT c.learned_ctid FROM firsts AS c
                                    WHERE NOT c.curated AND c.learned_id <> c.company_id))
           AND f.learned_ctid = m.ctid AND NOT f.curated
           AND m.match_type = 'name' AND m.lookup_key = f.key AND m.source <> 'internal'
           AND m.canonical_id <> f.company_id
    ),
    minted AS (
        -- A name EQC does not know gets its TEMP id with the answer (key order: no deadlocks).
        INSERT INTO enterprise.temp_id_assignments AS t (temp_key)
        SELECT enterprise._name_temp_key(d.key)
          FROM decided AS d
         WHERE d.decision = 'not_found'
         ORDER BY d.key
        ON CONFLICT ON CONSTRAINT temp_id_assignments_pkey DO NOTHING
    ),
    -- Settled and reviewed requests in one update, which reads the primary
    -- key for the batch ("= ANY (_ids)": a plan made on a small table would
    -- otherwise read the whole key). A request sent to review keeps its
    -- outcome, company and completed_at as they were, and gets its scored
    -- candidates (best first, without EQC's raw object and rank).
    settled AS (
        UPDATE enterprise.lookup_requests AS q
           SET status = CASE WHEN d.decision = 'review' THEN 'review' ELSE 'done' END,
               outcome = CASE WHEN d.decision = 'review' THEN q.outcome
                              WHEN d.decision = 'found' THEN 'found' ELSE 'not_found' END,
               company_id = CASE WHEN d.decision = 'review' THEN q.company_id ELSE d.company_id END,
               official_name = CASE WHEN d.decision = 'review' THEN q.official_name ELSE d.official_name END,
               unite_code = CASE WHEN d.decision = 'review' THEN q.unite_code ELSE d.unite_code END,
               candidates = CASE WHEN d.decision <> 'review' THEN q.candidates
                                 ELSE (SELECT pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object(
                                                  'company_id', c.company_id, 'full_name', c.full_name,
                                                  'unite_code', c.unite_code, 'eqc_type', c.eqc_type,
                                                  'confidence', c.confidence)
                                                  ORDER BY c.confidence DESC NULLS LAST, c.rank)
                                         FROM candidate AS c
                                        WHERE c.ord = d.ord)
                            END,
               lease_owner = NULL, lease_expires_at = NULL, last_error = NULL,
               completed_at = CASE WHEN d.decision = 'review' THEN q.completed_at ELSE pg_catalog.now() END,
               updated_at = pg_catalog.now()
          FROM decided AS d
         WHERE q.id = ANY (_ids) AND q.id = d.id
        RETURNING q.*
    )
    -- (data-modifying CTEs run to completion whether read or not: nothing
    -- reads companies, inserted, updated or minted. 0.5.1 counted companies
    -- and minted here, and the plan counted them again for every row.)
    SELECT r.*
      FROM settled AS r
     ORDER BY r.status = 'review', r.id;

    FOR i IN 1 .. pg_catalog.cardinality(_bad) LOOP
        RETURN NEXT enterprise.fail_lookup(_bad[i], worker, _why[i], max_attempts => _settle_lookups.max_attempts);
    END LOOP;

    IF claim_next > 0 THEN
        RETURN QUERY SELECT * FROM enterprise.claim_lookups(claim_next, worker, lease, max_attempts);
    END IF;
END;
$$;

COMMENT ON FUNCTION enterprise._settle_lookups(text, bigint[], jsonb[], text, integer, interval, integer) IS
    'Private: settles held lookups from their candidates (mode eqc: scored, learned or sent to review; '
    'caller: first candidate, unscored; person: first candidate, confidence 1.00).';

REVOKE ALL ON FUNCTION enterprise._settle_lookups(text, bigint[], jsonb[], text, integer, interval, integer) FROM PUBLIC;

COMMIT;
