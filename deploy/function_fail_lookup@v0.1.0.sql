-- Deploy company_enrichment:function_fail_lookup to pg
-- requires: function_held_lookup
-- requires: table_queue_settings

BEGIN;

-- A lookup attempt failed (EQC 5xx, timeout, 429 ...). Back to pending with a
-- next attempt after retry_after when EQC said so (Retry-After), else after an
-- exponential backoff with jitter: base * 2^(attempts-1), capped, then a
-- random 50..100 % of it. When attempts has reached max_attempts the request
-- becomes failed instead, keeping the error.
CREATE OR REPLACE FUNCTION enterprise.fail_lookup(
    request_id   bigint,
    worker       text,
    error        text,
    retry_after  interval DEFAULT NULL,
    max_attempts integer  DEFAULT NULL,
    backoff_base interval DEFAULT NULL)
RETURNS enterprise.lookup_requests
LANGUAGE plpgsql
VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    _r     enterprise.lookup_requests;
    _s     enterprise.queue_settings;
    _max   integer;
    _base  interval;
    _delay interval;
BEGIN
    SELECT * INTO _s FROM enterprise.queue_settings;
    _max  := COALESCE(fail_lookup.max_attempts, _s.max_attempts);
    _base := COALESCE(fail_lookup.backoff_base, _s.backoff_base);
    IF _max < 1 OR _base < '0' OR retry_after < '0' THEN
        RAISE EXCEPTION USING
            ERRCODE = 'invalid_parameter_value',
            MESSAGE = 'invalid retry policy',
            DETAIL  = pg_catalog.format('max_attempts %s, backoff_base %s, retry_after %s',
                                        _max, _base, COALESCE(retry_after::text, 'NULL')),
            HINT    = 'max_attempts >= 1; backoff_base and retry_after must not be negative.';
    END IF;
    _r := enterprise._held_lookup(request_id, worker);

    IF _r.attempts >= _max THEN
        UPDATE enterprise.lookup_requests AS q
           SET status = 'failed', last_error = COALESCE(fail_lookup.error, 'unknown error'),
               lease_owner = NULL, lease_expires_at = NULL,
               last_failed_at = pg_catalog.now(), updated_at = pg_catalog.now()
         WHERE q.id = _r.id
        RETURNING * INTO _r;
        RETURN _r;
    END IF;

    _delay := COALESCE(
        retry_after,
        LEAST(_s.backoff_cap, _base * pg_catalog.power(2, LEAST(_r.attempts - 1, 30)))
            * (0.5 + pg_catalog.random() / 2));
    UPDATE enterprise.lookup_requests AS q
       SET status = 'pending', last_error = COALESCE(fail_lookup.error, 'unknown error'),
           next_attempt_at = pg_catalog.now() + _delay,
           lease_owner = NULL, lease_expires_at = NULL,
           last_failed_at = pg_catalog.now(), updated_at = pg_catalog.now()
     WHERE q.id = _r.id
    RETURNING * INTO _r;
    RETURN _r;
END;
$$;

COMMENT ON FUNCTION enterprise.fail_lookup(bigint, text, text, interval, integer, interval) IS
    'Records a failed attempt on a held lookup: pending again after retry_after or exponential '
    'backoff with jitter, or failed once attempts reach max_attempts (overrides default to '
    'queue_settings). Errors: CE001 not held by the worker; CE002 no such request; 22023 invalid policy.';

REVOKE ALL ON FUNCTION enterprise.fail_lookup(bigint, text, text, interval, integer, interval) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION enterprise.fail_lookup(bigint, text, text, interval, integer, interval) TO enrichment_worker;

COMMIT;
