-- Deploy company_enrichment:function_failed_lookups to pg
-- requires: table_lookup_requests
-- requires: owner_enrichment_owner

BEGIN;
SET LOCAL ROLE enrichment_owner;

-- The requests that gave up (status failed), most recent failure first, with
-- their last error: what the queue page lists beside requeue_failed.
CREATE OR REPLACE FUNCTION enterprise.failed_lookups(max_rows integer DEFAULT 100)
RETURNS TABLE (
    request_id     bigint,
    name           text,
    attempts       integer,
    last_error     text,
    last_failed_at timestamptz)
LANGUAGE plpgsql
STABLE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF max_rows IS NULL OR max_rows NOT BETWEEN 1 AND 1000 THEN
        RAISE EXCEPTION USING
            ERRCODE = 'invalid_parameter_value',
            MESSAGE = 'failed_lookups: max_rows must be between 1 and 1000',
            DETAIL  = pg_catalog.format('max_rows %s', COALESCE(max_rows::text, 'NULL')),
            HINT    = 'lookup_queue_stats has the count of every failed request.';
    END IF;
    RETURN QUERY
    SELECT q.id, q.name::text, q.attempts, q.last_error, q.last_failed_at
      FROM enterprise.lookup_requests AS q
     WHERE q.status = 'failed'
     ORDER BY q.last_failed_at DESC NULLS LAST, q.id DESC
     LIMIT failed_lookups.max_rows;
END;
$$;

COMMENT ON FUNCTION enterprise.failed_lookups(integer) IS
    'The lookup requests that gave up (failed), most recent failure first, with attempts and last_error; '
    'requeue them with requeue_failed(). Errors: 22023 max_rows outside 1..1000.';

REVOKE ALL ON FUNCTION enterprise.failed_lookups(integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION enterprise.failed_lookups(integer) TO enrichment_reader;

COMMIT;
