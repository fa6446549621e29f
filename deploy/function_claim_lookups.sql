-- Deploy company_enrichment:function_claim_lookups to pg
-- (reworked after v0.2.1: the claimed rows are updated by one primary-key scan, issue 12)
-- requires: table_lookup_requests
-- requires: function_claim_policy
-- requires: function_check_worker

BEGIN;

SET LOCAL ROLE enrichment_owner;

-- Claims up to batch_size due requests for a worker, oldest due first, in one
-- statement: pending requests whose next attempt has come and processing
-- requests whose lease has expired (a crashed worker's), locked with SKIP
-- LOCKED so concurrent workers never wait on or share a request. A taken-over
-- request that has already used its last attempt becomes failed instead of
-- being handed out again.
CREATE OR REPLACE FUNCTION enterprise.claim_lookups(
    batch_size   integer,
    worker       text,
    lease        interval DEFAULT NULL,
    max_attempts integer  DEFAULT NULL)
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
    IF batch_size IS NULL OR batch_size NOT BETWEEN 1 AND 500 THEN
        RAISE EXCEPTION USING
            ERRCODE = 'invalid_parameter_value',
            MESSAGE = 'batch_size must be between 1 and 500',
            DETAIL  = pg_catalog.format('batch_size %s', COALESCE(batch_size::text, 'NULL')),
            HINT    = 'Claim at most 500 requests at a time (the default worker batch is 50).';
    END IF;
    PERFORM enterprise._check_worker(worker);
    SELECT p.lease_for, p.attempts_for INTO _lease, _max
      FROM enterprise._claim_policy(claim_lookups.lease, claim_lookups.max_attempts) AS p;

    RETURN QUERY
    WITH due AS MATERIALIZED (
        SELECT q.id
          FROM enterprise.lookup_requests AS q
         WHERE q.status IN ('pending', 'processing')
           AND q.claimable_at <= pg_catalog.now()
         ORDER BY q.claimable_at, q.id
         LIMIT batch_size
           FOR UPDATE SKIP LOCKED
    ),
    claimed AS (
        UPDATE enterprise.lookup_requests AS q
           SET status           = CASE WHEN q.status = 'processing' AND q.attempts >= _max THEN 'failed' ELSE 'processing' END,
               lease_owner      = CASE WHEN q.status = 'processing' AND q.attempts >= _max THEN NULL ELSE worker END,
               lease_expires_at = CASE WHEN q.status = 'processing' AND q.attempts >= _max THEN NULL
                                       ELSE pg_catalog.now() + _lease END,
               attempts         = CASE WHEN q.status = 'processing' AND q.attempts >= _max THEN q.attempts
                                       ELSE q.attempts + 1 END,
               last_error       = CASE WHEN q.status = 'processing' AND q.attempts >= _max
                                       THEN pg_catalog.format('lease of %s expired on its last attempt', q.lease_owner)
                                       ELSE q.last_error END,
               last_failed_at   = CASE WHEN q.status = 'processing' AND q.attempts >= _max THEN pg_catalog.now()
                                       ELSE q.last_failed_at END,
               updated_at       = pg_catalog.now()
         -- One primary-key scan for the batch ("= ANY": never a hash join over
         -- the whole table in the generic plan). No join back to "due": a
         -- nested loop rescanned the batch once per row claimed (2,500 index
         -- probes for 50, and more with every level millions of settled rows
         -- add to the index).
         WHERE q.id = ANY (ARRAY(SELECT d.id FROM due AS d))
        RETURNING q.*
    )
    SELECT * FROM claimed AS c WHERE c.status = 'processing' ORDER BY c.id;
END;
$$;

COMMENT ON FUNCTION enterprise.claim_lookups(integer, text, interval, integer) IS
    'Claims up to batch_size due lookup requests (pending and due, or processing with an expired '
    'lease) for worker, oldest due first, with FOR UPDATE SKIP LOCKED; sets processing, the lease '
    'and attempts + 1. lease and max_attempts default to queue_settings. '
    'Errors: 22023 batch_size outside 1..500, blank worker, lease outside (0, 1 day], max_attempts < 1.';

REVOKE ALL ON FUNCTION enterprise.claim_lookups(integer, text, interval, integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION enterprise.claim_lookups(integer, text, interval, integer) TO enrichment_worker;

COMMIT;
