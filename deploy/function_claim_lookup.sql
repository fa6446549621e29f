-- Deploy company_enrichment:function_claim_lookup to pg
-- requires: table_lookup_requests
-- requires: function_claim_policy
-- requires: function_check_worker

BEGIN;

-- Claims one specific request if it is claimable right now (pending and due,
-- or processing with an expired lease, and not locked by anyone), else returns
-- nothing. The client's inline lookups use it, so they share the queue's
-- dedupe, leases and accounting with the workers.
CREATE OR REPLACE FUNCTION enterprise.claim_lookup(
    request_id bigint,
    worker     text,
    lease      interval DEFAULT NULL)
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
    _lease interval;
    _max   integer;
BEGIN
    PERFORM enterprise._check_worker(worker);
    SELECT p.lease_for, p.attempts_for INTO _lease, _max FROM enterprise._claim_policy(claim_lookup.lease, NULL) AS p;

    RETURN QUERY
    WITH target AS MATERIALIZED (
        SELECT q.id
          FROM enterprise.lookup_requests AS q
         WHERE q.id = claim_lookup.request_id
           AND q.status IN ('pending', 'processing')
           AND q.claimable_at <= pg_catalog.now()
           AND NOT (q.status = 'processing' AND q.attempts >= _max)
           FOR UPDATE SKIP LOCKED
    )
    UPDATE enterprise.lookup_requests AS q
       SET status = 'processing', lease_owner = worker, lease_expires_at = pg_catalog.now() + _lease,
           attempts = q.attempts + 1, updated_at = pg_catalog.now()
      FROM target
     WHERE q.id = claim_lookup.request_id AND q.id = target.id
    RETURNING q.*;
END;
$$;

COMMENT ON FUNCTION enterprise.claim_lookup(bigint, text, interval) IS
    'Claims one lookup request if it is claimable now, else returns no row; same lease and '
    'accounting as claim_lookups. Errors: 22023 blank worker, lease outside (0, 1 day].';

REVOKE ALL ON FUNCTION enterprise.claim_lookup(bigint, text, interval) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION enterprise.claim_lookup(bigint, text, interval) TO enrichment_worker;

COMMIT;
