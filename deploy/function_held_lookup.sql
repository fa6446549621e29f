-- Deploy company_enrichment:function_held_lookup to pg
-- requires: table_lookup_requests
-- requires: function_check_worker

BEGIN;

-- Private: locks a request the worker holds and returns it, or raises.
-- "Holds" means: status processing and lease_owner = worker. A lease that has
-- expired but that nobody has claimed since is still held (the row lock makes
-- a completion and a concurrent take-over mutually exclusive).
CREATE OR REPLACE FUNCTION enterprise._held_lookup(request_id bigint, worker text)
RETURNS enterprise.lookup_requests
LANGUAGE plpgsql
VOLATILE
SET search_path = pg_catalog, pg_temp
-- Planner settings that keep every call an index lookup with a plan made once
-- per session, whatever the statistics say (README, "Plans that hold").
SET enable_seqscan = off
SET jit = off
AS $$
DECLARE
    _r enterprise.lookup_requests;
BEGIN
    PERFORM enterprise._check_worker(worker);
    SELECT * INTO _r FROM enterprise.lookup_requests AS q WHERE q.id = _held_lookup.request_id FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION USING
            ERRCODE = 'CE002',
            MESSAGE = 'lookup request does not exist',
            DETAIL  = pg_catalog.format('request_id %s', COALESCE(request_id::text, 'NULL')),
            HINT    = 'Use the id returned by claim_lookups or claim_lookup.';
    END IF;
    IF _r.status <> 'processing' OR _r.lease_owner <> worker THEN
        RAISE EXCEPTION USING
            ERRCODE = 'CE001',
            MESSAGE = 'lookup request is not held by this worker',
            DETAIL  = pg_catalog.format('request_id %s, worker %L; the request is %s, held by %s, lease until %s',
                          _r.id, worker, _r.status, COALESCE(pg_catalog.quote_literal(_r.lease_owner), 'nobody'),
                          COALESCE(_r.lease_expires_at::text, '-')),
            HINT    = 'The lease expired and the request was claimed again, released, or settled: '
                      'drop this result; whoever holds it now will finish it.';
    END IF;
    RETURN _r;
END;
$$;

COMMENT ON FUNCTION enterprise._held_lookup(bigint, text) IS
    'Private: locks and returns a request the worker holds; raises CE002 (no such request) '
    'or CE001 (not held by this worker).';

REVOKE ALL ON FUNCTION enterprise._held_lookup(bigint, text) FROM PUBLIC;

COMMIT;
