-- Deploy company_enrichment:function_renew_lookup_leases to pg
-- requires: table_lookup_requests
-- requires: function_claim_policy
-- requires: function_check_worker

BEGIN;

-- Extends the leases a worker still holds, so that a batch that takes longer
-- than one lease is never taken over while the worker is still working on it.
-- "Holds" is what _held_lookup means: status processing and lease_owner =
-- worker, even when the lease has run out but nobody has claimed the request
-- since. request_ids NULL means every request the worker holds; ids it does
-- not hold (settled, released, taken over) are skipped. Each renewed lease
-- runs until now() + lease (default: queue_settings.default_lease). Returns
-- the ids renewed, in id order; compare them to see which were lost.
CREATE OR REPLACE FUNCTION enterprise.renew_lookup_leases(
    worker      text,
    request_ids bigint[] DEFAULT NULL,
    lease       interval DEFAULT NULL)
RETURNS SETOF bigint
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
    _lease interval := (enterprise._claim_policy(renew_lookup_leases.lease, NULL)).lease_for;
BEGIN
    PERFORM enterprise._check_worker(worker);
    IF request_ids IS NULL THEN
        RETURN QUERY
        WITH renewed AS (
            UPDATE enterprise.lookup_requests AS q
               SET lease_expires_at = pg_catalog.now() + _lease, updated_at = pg_catalog.now()
             WHERE q.status = 'processing' AND q.lease_owner = renew_lookup_leases.worker
            RETURNING q.id
        )
        SELECT r.id FROM renewed AS r ORDER BY r.id;
    ELSE
        RETURN QUERY
        WITH renewed AS (
            UPDATE enterprise.lookup_requests AS q
               SET lease_expires_at = pg_catalog.now() + _lease, updated_at = pg_catalog.now()
             -- "= ANY" keeps the plan a primary-key probe whatever the statistics
             WHERE q.id = ANY (renew_lookup_leases.request_ids)
               AND q.status = 'processing' AND q.lease_owner = renew_lookup_leases.worker
            RETURNING q.id
        )
        SELECT r.id FROM renewed AS r ORDER BY r.id;
    END IF;
END;
$$;

COMMENT ON FUNCTION enterprise.renew_lookup_leases(text, bigint[], interval) IS
    'Extends to now() + lease (default queue_settings.default_lease) the leases the worker still holds '
    '(all, or those in request_ids) and returns the ids renewed; requests it no longer holds are skipped. '
    'Errors: 22023 blank worker, lease not in (0, 1 day].';

REVOKE ALL ON FUNCTION enterprise.renew_lookup_leases(text, bigint[], interval) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION enterprise.renew_lookup_leases(text, bigint[], interval) TO enrichment_worker;

COMMIT;
