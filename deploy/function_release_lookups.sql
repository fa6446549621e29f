-- Deploy company_enrichment:function_release_lookups to pg
-- requires: table_lookup_requests
-- requires: function_check_worker

BEGIN;

-- Gives back requests a worker holds without spending an attempt (graceful
-- shutdown, an expired EQC token): pending, claimable at once. request_ids
-- NULL means every request the worker holds. Returns how many were released.
CREATE OR REPLACE FUNCTION enterprise.release_lookups(worker text, request_ids bigint[] DEFAULT NULL)
RETURNS integer
LANGUAGE plpgsql
VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    _released integer;
BEGIN
    PERFORM enterprise._check_worker(worker);
    UPDATE enterprise.lookup_requests AS q
       SET status = 'pending', attempts = GREATEST(q.attempts - 1, 0), next_attempt_at = pg_catalog.now(),
           lease_owner = NULL, lease_expires_at = NULL, updated_at = pg_catalog.now()
     WHERE q.status = 'processing'
       AND q.lease_owner = release_lookups.worker
       AND (release_lookups.request_ids IS NULL OR q.id = ANY (release_lookups.request_ids));
    GET DIAGNOSTICS _released = ROW_COUNT;
    IF _released > 0 THEN
        PERFORM pg_catalog.pg_notify('enterprise_lookup', _released::text);
    END IF;
    RETURN _released;
END;
$$;

COMMENT ON FUNCTION enterprise.release_lookups(text, bigint[]) IS
    'Returns requests held by worker (all, or those in request_ids) to pending without spending an '
    'attempt; returns how many. Requests the worker does not hold are left alone. Errors: 22023 blank worker.';

REVOKE ALL ON FUNCTION enterprise.release_lookups(text, bigint[]) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION enterprise.release_lookups(text, bigint[]) TO enrichment_worker;

COMMIT;
