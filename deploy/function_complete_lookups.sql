-- Deploy company_enrichment:function_complete_lookups to pg
-- (reworked after v0.1.0: one unusable answer fails its own request, never the
-- batch; a queued spelling cut at 255 characters is cached under the request
-- key; the settling itself is _settle_lookups, shared with settle_lookups)
-- requires: function_check_worker
-- requires: function_settle_lookups_private

BEGIN;

-- Settles many held lookups at once with the company a caller chose (the
-- v0.1 worker's API, kept working; a worker that passes EQC's candidates to
-- settle_lookups lets the database decide instead): element i of each array
-- is one answer. canonical_ids[i] NULL means EQC found nothing (not_found);
-- otherwise the request is found and its name (and the official name, when
-- it normalizes differently and fits) is cached as a learned mapping with an
-- unknown confidence, never over a curated row. The name cached always has
-- the request's key. A not-found name gets its TEMP id now, so the next
-- resolution mints nothing. Requests the worker no longer holds are skipped.
-- An answer the mapping table cannot hold (a blank or over-long company id)
-- settles nothing: it is a failed attempt of its own request (fail_lookup:
-- retried after a backoff, or failed at max_attempts, last_error saying why),
-- and the other answers of the batch settle as usual.
-- Rows returned: the settled ones (status done), then the ones whose answer
-- was unusable (status pending or failed), then, with claim_next > 0, the
-- worker's next batch (claim_lookups with that batch size, lease and
-- max_attempts), claimed in the same transaction (status processing).
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

    -- Each chosen company as a one-candidate answer ([] = not found).
    RETURN QUERY
    SELECT * FROM enterprise._settle_lookups(
        worker, request_ids,
        ARRAY(SELECT CASE WHEN a.canonical_id IS NULL THEN '[]'::jsonb
                          ELSE pg_catalog.jsonb_build_array(pg_catalog.jsonb_strip_nulls(pg_catalog.jsonb_build_object(
                                   'companyId', a.canonical_id, 'companyFullName', a.official_name,
                                   'unite_code', a.unite_code)))
                     END
                FROM ROWS FROM (pg_catalog.unnest(canonical_ids), pg_catalog.unnest(official_names),
                                pg_catalog.unnest(unite_codes))
                     WITH ORDINALITY AS a(canonical_id, official_name, unite_code, ord)
               ORDER BY a.ord),
        'caller', claim_next, lease, max_attempts);
END;
$$;

COMMENT ON FUNCTION enterprise.complete_lookups(text, bigint[], text[], text[], text[], integer, interval, integer) IS
    'Settles many held lookups at once (canonical_ids[i] NULL = not found): caches found names as '
    'learned mappings (unscored) under the request''s key, mints TEMP ids for names not found, marks the requests '
    'done; skips requests the worker does not hold; an unusable company id is a failed attempt of its own '
    'request (fail_lookup), never an error of the batch. Returns the settled rows, the failed attempts, '
    'then (claim_next > 0) the next batch it claims. Errors: 22023 invalid worker or arrays; those of '
    'claim_lookups.';

REVOKE ALL ON FUNCTION enterprise.complete_lookups(text, bigint[], text[], text[], text[], integer, interval, integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION enterprise.complete_lookups(text, bigint[], text[], text[], text[], integer, interval, integer) TO enrichment_worker;

COMMIT;
