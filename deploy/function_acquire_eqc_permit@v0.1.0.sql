-- Deploy company_enrichment:function_acquire_eqc_permit to pg
-- requires: table_eqc_rate_limit

BEGIN;

-- Asks to send one EQC request. Returns 0 when it may go now (and books the
-- slot), else the seconds to wait before asking again. Requests of one bucket
-- are spaced at least 60 / rate_per_minute seconds apart across every
-- session, so no minute ever sees more than rate_per_minute of them (plus one
-- at the window's edge). Uses the wall clock, not the transaction's start, so
-- call it in a short transaction of its own.
CREATE OR REPLACE FUNCTION enterprise.acquire_eqc_permit(
    rate_per_minute integer DEFAULT 10,
    bucket          text    DEFAULT 'eqc')
RETURNS double precision
LANGUAGE plpgsql
VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    _now  timestamptz := pg_catalog.clock_timestamp();
    _next timestamptz;
BEGIN
    IF rate_per_minute IS NULL OR rate_per_minute NOT BETWEEN 1 AND 60000 OR COALESCE(bucket, '') = ''
       OR pg_catalog.length(bucket) > 100 THEN
        RAISE EXCEPTION USING
            ERRCODE = 'invalid_parameter_value',
            MESSAGE = 'invalid rate limit',
            DETAIL  = pg_catalog.format('rate_per_minute %s, bucket %L', COALESCE(rate_per_minute::text, 'NULL'),
                                        pg_catalog.left(bucket, 100)),
            HINT    = 'rate_per_minute is 1..60000 (WDH_EQC_RATE_LIMIT); bucket is a name of 1 to 100 characters.';
    END IF;
    INSERT INTO enterprise.eqc_rate_limit AS l (bucket) VALUES (acquire_eqc_permit.bucket)
    ON CONFLICT ON CONSTRAINT eqc_rate_limit_pkey DO NOTHING;
    SELECT l.next_allowed_at INTO _next FROM enterprise.eqc_rate_limit AS l
     WHERE l.bucket = acquire_eqc_permit.bucket FOR UPDATE;
    IF _next > _now THEN
        RETURN EXTRACT(epoch FROM _next - _now)::double precision;
    END IF;
    UPDATE enterprise.eqc_rate_limit AS l
       SET next_allowed_at = _now + pg_catalog.make_interval(secs => 60.0 / rate_per_minute)
     WHERE l.bucket = acquire_eqc_permit.bucket;
    RETURN 0;
END;
$$;

COMMENT ON FUNCTION enterprise.acquire_eqc_permit(integer, text) IS
    'Shared EQC rate limiter: 0 = send the request now (slot booked), else seconds to wait before '
    'asking again; spaces requests of a bucket 60/rate_per_minute s apart across all sessions. '
    'Errors: 22023 rate outside 1..60000 or empty bucket.';

REVOKE ALL ON FUNCTION enterprise.acquire_eqc_permit(integer, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION enterprise.acquire_eqc_permit(integer, text) TO enrichment_worker;

COMMIT;
