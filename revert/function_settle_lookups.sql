-- Revert company_enrichment:function_settle_lookups from pg: back to the v0.3.0 body
-- (commits as the caller's session says). The v0.3.0 deploy script, run as the owner.
-- requires: function_settle_lookups_private

BEGIN;

SET LOCAL ROLE enrichment_owner;

-- The worker's answer to held lookups, decided in SQL: element i of
-- request_ids and candidates is one request and EQC's candidates for it,
-- exactly as EQC listed them (its "list": objects with companyId,
-- companyFullName, unite_code, type; [] when EQC found nothing). Each
-- candidate is scored (score_eqc_candidates); the best one, ties going to
-- EQC's order, is learned when it scores at least
-- queue_settings.auto_accept_confidence, else the request waits for a person
-- in enterprise.lookup_review. Every candidate is remembered in
-- eqc_companies. A request whose candidates are invalid (no companyId, a
-- value too long, one company twice) is a failed attempt of its own, with
-- last_error saying why; the rest settle. claim_next > 0 claims the next batch
-- in the same transaction.
-- Rows returned: settled (done), sent to review (review), failed attempts
-- (pending or failed), then the claimed batch (processing). Requests the
-- worker no longer holds are skipped: compare ids to see which were lost.
CREATE OR REPLACE FUNCTION enterprise.settle_lookups(
    worker       text,
    request_ids  bigint[],
    candidates   jsonb[],
    claim_next   integer  DEFAULT 0,
    lease        interval DEFAULT NULL,
    max_attempts integer  DEFAULT NULL)
RETURNS SETOF enterprise.lookup_requests
LANGUAGE plpgsql
VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    _bad bigint;
BEGIN
    PERFORM enterprise._check_worker(worker);
    IF request_ids IS NULL OR candidates IS NULL
       OR pg_catalog.cardinality(candidates) <> pg_catalog.cardinality(request_ids)
       OR COALESCE(pg_catalog.array_ndims(request_ids), 1) > 1
       OR COALESCE(pg_catalog.array_ndims(candidates), 1) > 1
    THEN
        RAISE EXCEPTION USING
            ERRCODE = 'invalid_parameter_value',
            MESSAGE = 'settle_lookups: the input arrays must be one-dimensional and of equal length',
            DETAIL  = pg_catalog.format('lengths: request_ids %s, candidates %s',
                          COALESCE(pg_catalog.cardinality(request_ids)::text, 'NULL'),
                          COALESCE(pg_catalog.cardinality(candidates)::text, 'NULL')),
            HINT    = 'Pass one request id and one JSON array of EQC candidates per answer.';
    END IF;
    SELECT a.ord INTO _bad
      FROM ROWS FROM (pg_catalog.unnest(candidates)) WITH ORDINALITY AS a(answer, ord)
     WHERE a.answer IS NULL OR pg_catalog.jsonb_typeof(a.answer) <> 'array'
     ORDER BY a.ord
     LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION USING
            ERRCODE = 'invalid_parameter_value',
            MESSAGE = 'settle_lookups: each answer must be a JSON array of candidates',
            DETAIL  = pg_catalog.format('candidates[%s] is %s', _bad,
                          COALESCE('a JSON ' || pg_catalog.jsonb_typeof(candidates[_bad]), 'NULL')),
            HINT    = 'Pass EQC''s "list" as it came, [] when EQC found nothing.';
    END IF;
    RETURN QUERY SELECT * FROM enterprise._settle_lookups(worker, request_ids, candidates, 'eqc',
                                                          claim_next, lease, max_attempts);
END;
$$;

COMMENT ON FUNCTION enterprise.settle_lookups(text, bigint[], jsonb[], integer, interval, integer) IS
    'Settles held lookups from EQC''s candidates, scored in SQL: learned at auto_accept_confidence or more, '
    'else sent to review; invalid candidates fail their own request''s attempt. Returns settled, review, '
    'failed-attempt rows, then (claim_next > 0) the next batch claimed. Errors: 22023 invalid worker, '
    'arrays of different lengths, an answer that is not a JSON array; those of claim_lookups.';

REVOKE ALL ON FUNCTION enterprise.settle_lookups(text, bigint[], jsonb[], integer, interval, integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION enterprise.settle_lookups(text, bigint[], jsonb[], integer, interval, integer)
    TO enrichment_worker;

COMMIT;
