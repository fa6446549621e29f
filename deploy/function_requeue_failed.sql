-- Deploy company_enrichment:function_requeue_failed to pg
-- requires: table_lookup_requests

BEGIN;

-- The operator's retry: failed requests that failed at least older_than ago
-- go back to pending with attempts reset. Returns how many.
CREATE OR REPLACE FUNCTION enterprise.requeue_failed(older_than interval DEFAULT '0')
RETURNS integer
LANGUAGE plpgsql
VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    _requeued integer;
BEGIN
    IF older_than IS NULL OR older_than < '0' THEN
        RAISE EXCEPTION USING
            ERRCODE = 'invalid_parameter_value',
            MESSAGE = 'older_than must not be negative',
            DETAIL  = pg_catalog.format('older_than %s', COALESCE(older_than::text, 'NULL')),
            HINT    = 'Pass 0 (the default) to requeue every failed request.';
    END IF;
    UPDATE enterprise.lookup_requests AS q
       SET status = 'pending', attempts = 0, next_attempt_at = pg_catalog.now(), updated_at = pg_catalog.now()
     WHERE q.status = 'failed'
       AND q.last_failed_at <= pg_catalog.now() - older_than
       -- never beside a live request for the same name
       AND NOT EXISTS (SELECT 1 FROM enterprise.lookup_requests AS a
                        WHERE a.normalized_name = q.normalized_name AND a.status IN ('pending', 'processing'));
    GET DIAGNOSTICS _requeued = ROW_COUNT;
    IF _requeued > 0 THEN
        PERFORM pg_catalog.pg_notify('enterprise_lookup', _requeued::text);
    END IF;
    RETURN _requeued;
END;
$$;

COMMENT ON FUNCTION enterprise.requeue_failed(interval) IS
    'Moves failed lookup requests that failed at least older_than ago back to pending with attempts '
    'reset; returns how many. Errors: 22023 negative or NULL older_than.';

REVOKE ALL ON FUNCTION enterprise.requeue_failed(interval) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION enterprise.requeue_failed(interval) TO enrichment_admin;

COMMIT;
