-- Deploy company_enrichment:function_complete_lookups to pg
-- requires: table_lookup_requests
-- requires: function_check_worker
-- requires: function_cache_learned_mappings
-- requires: function_name_temp_key
-- requires: function_claim_lookups

BEGIN;

-- Settles many held lookups in one transaction: element i of each array is
-- one answer. canonical_ids[i] NULL means EQC found nothing (not_found);
-- otherwise the request is found and its name (and EQC's official name, when
-- it normalizes differently and fits) is cached as a learned mapping, never
-- over a curated row. A not-found name gets its TEMP id now, so the next
-- resolution mints nothing. Requests the worker no longer holds are skipped:
-- the rows returned are the ones settled (compare ids to see which were lost).
-- Every found answer is validated first; a bad canonical id raises and
-- nothing is written.
-- claim_next > 0 also claims the worker's next batch (claim_lookups with
-- that batch size, lease and max_attempts) in the same transaction: a worker
-- loop then costs one round trip and one commit per batch. The claimed rows
-- follow the settled ones (status processing instead of done).
CREATE OR REPLACE FUNCTION enterprise.complete_lookups(
    worker         text,
    request_ids    bigint[],
    canonical_ids  text[],
    official_names text[]   DEFAULT NULL,
    unite_codes    text[]   DEFAULT NULL,
    claim_next     integer  DEFAULT 0,
    lease          interval DEFAULT NULL,
    max_attempts   integer  DEFAULT NULL)
RETURNS SETOF enterprise.lookup_requests
LANGUAGE plpgsql
VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
-- Planner settings that keep every call an index lookup with a plan made once
-- per session, whatever the statistics say (README, "Plans that hold").
SET enable_seqscan = off
SET jit = off
SET plan_cache_mode = force_generic_plan
AS $$
DECLARE
    _n integer := pg_catalog.cardinality(request_ids);
BEGIN
    PERFORM enterprise._check_worker(worker);
    IF request_ids IS NULL OR canonical_ids IS NULL
       OR pg_catalog.cardinality(canonical_ids) <> _n
       OR pg_catalog.cardinality(official_names) <> _n
       OR pg_catalog.cardinality(unite_codes) <> _n
       OR COALESCE(pg_catalog.array_ndims(canonical_ids), 1) > 1
       OR COALESCE(pg_catalog.array_ndims(request_ids), 1) > 1
    THEN
        RAISE EXCEPTION USING
            ERRCODE = 'invalid_parameter_value',
            MESSAGE = 'complete_lookups: the input arrays must be one-dimensional and of equal length',
            DETAIL  = pg_catalog.format('lengths: request_ids %s, canonical_ids %s, official_names %s, unite_codes %s',
                          COALESCE(pg_catalog.cardinality(request_ids)::text, 'NULL'),
                          COALESCE(pg_catalog.cardinality(canonical_ids)::text, 'NULL'),
                          COALESCE(pg_catalog.cardinality(official_names)::text, 'NULL'),
                          COALESCE(pg_catalog.cardinality(unite_codes)::text, 'NULL')),
            HINT    = 'Pass one element per request in each array (NULL arrays for official_names and unite_codes).';
    END IF;

    RETURN QUERY
    WITH held AS MATERIALIZED (
        -- Lock what the worker holds; the rest is skipped.
        SELECT a.ord, q.id, q.name, q.normalized_name,
               pg_catalog.btrim(a.canonical_id) AS canonical_id,
               NULLIF(pg_catalog.btrim(a.official_name), '') AS official_name,
               NULLIF(pg_catalog.btrim(a.unite_code), '') AS unite_code
          FROM ROWS FROM (pg_catalog.unnest(request_ids), pg_catalog.unnest(canonical_ids),
                          pg_catalog.unnest(official_names), pg_catalog.unnest(unite_codes))
               WITH ORDINALITY AS a(request_id, canonical_id, official_name, unite_code, ord)
          JOIN enterprise.lookup_requests AS q ON q.id = a.request_id
         -- "= ANY" keeps the plan a primary-key probe whatever the statistics
         WHERE q.id = ANY (complete_lookups.request_ids)
           AND q.status = 'processing' AND q.lease_owner = complete_lookups.worker
           FOR UPDATE OF q
    ),
    learned AS (
        -- The queued name, and EQC's official name when it is another key that fits.
        SELECT h.ord, 0 AS rank, h.name AS alias, h.canonical_id FROM held AS h WHERE h.canonical_id IS NOT NULL
        UNION ALL
        SELECT h.ord, 1, h.official_name, h.canonical_id
          FROM held AS h
         WHERE h.canonical_id IS NOT NULL AND pg_catalog.length(h.official_name) <= 255
           AND COALESCE(enterprise.normalize_name(h.official_name), '') NOT IN ('', h.normalized_name)
    ),
    cached AS (
        -- Validates every found id first: a bad one raises and nothing is written.
        SELECT pg_catalog.count(*) AS n
          FROM enterprise._cache_learned_mappings(
                   (SELECT pg_catalog.array_agg(l.alias ORDER BY l.ord, l.rank) FROM learned AS l),
                   (SELECT pg_catalog.array_agg(l.canonical_id ORDER BY l.ord, l.rank) FROM learned AS l),
                   'EQC')
    ),
    minted AS (
        -- A name EQC does not know gets its TEMP id with the answer.
        INSERT INTO enterprise.temp_id_assignments AS t (temp_key)
        SELECT enterprise._name_temp_key(h.normalized_name)
          FROM held AS h
         WHERE h.canonical_id IS NULL
         -- key order, so that concurrent sessions never deadlock
         ORDER BY h.normalized_name
        ON CONFLICT ON CONSTRAINT temp_id_assignments_pkey DO NOTHING
        RETURNING t.temp_key
    ),
    settled AS (
        UPDATE enterprise.lookup_requests AS q
           SET status = 'done',
               outcome = CASE WHEN h.canonical_id IS NULL THEN 'not_found' ELSE 'found' END,
               company_id = h.canonical_id, official_name = h.official_name, unite_code = h.unite_code,
               lease_owner = NULL, lease_expires_at = NULL, last_error = NULL,
               completed_at = pg_catalog.now(), updated_at = pg_catalog.now()
          FROM held AS h
         WHERE q.id = ANY (complete_lookups.request_ids) AND q.id = h.id
        RETURNING q.*
    )
    SELECT s.*
      FROM settled AS s
     -- referencing cached and minted makes sure they run
     CROSS JOIN (SELECT c.n FROM cached AS c) AS c
     CROSS JOIN (SELECT pg_catalog.count(*) FROM minted) AS m
     ORDER BY s.id;

    IF claim_next > 0 THEN
        RETURN QUERY SELECT * FROM enterprise.claim_lookups(claim_next, worker, lease, max_attempts);
    END IF;
END;
$$;

COMMENT ON FUNCTION enterprise.complete_lookups(text, bigint[], text[], text[], text[], integer, interval, integer) IS
    'Settles many held lookups at once (canonical_ids[i] NULL = not found): caches found names as '
    'learned mappings, mints TEMP ids for names not found, marks the requests done; skips requests the '
    'worker does not hold and returns the settled rows, then (claim_next > 0) the next batch it claims. '
    'Errors: 22023/22001 invalid worker, arrays or canonical id; those of claim_lookups.';

REVOKE ALL ON FUNCTION enterprise.complete_lookups(text, bigint[], text[], text[], text[], integer, interval, integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION enterprise.complete_lookups(text, bigint[], text[], text[], text[], integer, interval, integer) TO enrichment_worker;

COMMIT;
