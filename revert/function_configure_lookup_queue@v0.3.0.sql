-- Deploy company_enrichment:function_configure_lookup_queue to pg
-- requires: table_queue_settings

BEGIN;

DROP FUNCTION enterprise.configure_lookup_queue(integer, interval, interval, interval, interval, interval, numeric);

-- Changes the queue policy; arguments left NULL keep their value. Returns the
-- settings in force. (failed_retry_after cannot be set back to NULL here: the
-- owner can UPDATE enterprise.queue_settings for that.)
CREATE OR REPLACE FUNCTION enterprise.configure_lookup_queue(
    max_attempts          integer  DEFAULT NULL,
    backoff_base          interval DEFAULT NULL,
    backoff_cap           interval DEFAULT NULL,
    default_lease         interval DEFAULT NULL,
    negative_cache_period interval DEFAULT NULL,
    failed_retry_after    interval DEFAULT NULL)
RETURNS enterprise.queue_settings
LANGUAGE plpgsql
VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    _s enterprise.queue_settings;
BEGIN
    UPDATE enterprise.queue_settings AS s
       SET max_attempts          = COALESCE(configure_lookup_queue.max_attempts, s.max_attempts),
           backoff_base          = COALESCE(configure_lookup_queue.backoff_base, s.backoff_base),
           backoff_cap           = COALESCE(configure_lookup_queue.backoff_cap, s.backoff_cap),
           default_lease         = COALESCE(configure_lookup_queue.default_lease, s.default_lease),
           negative_cache_period = COALESCE(configure_lookup_queue.negative_cache_period, s.negative_cache_period),
           failed_retry_after    = COALESCE(configure_lookup_queue.failed_retry_after, s.failed_retry_after),
           updated_at            = pg_catalog.now()
    RETURNING * INTO _s;
    RETURN _s;
EXCEPTION WHEN check_violation THEN
    RAISE EXCEPTION USING
        ERRCODE = 'invalid_parameter_value',
        MESSAGE = 'invalid queue settings',
        DETAIL  = pg_catalog.format('max_attempts %s, backoff_base %s, backoff_cap %s, default_lease %s, '
                                    'negative_cache_period %s, failed_retry_after %s',
                                    max_attempts, backoff_base, backoff_cap, default_lease,
                                    negative_cache_period, failed_retry_after),
        HINT    = 'max_attempts 1..100; 0 <= backoff_base <= backoff_cap; 0 < default_lease <= 1 day; '
                  'negative_cache_period and failed_retry_after >= 0.';
END;
$$;

COMMENT ON FUNCTION enterprise.configure_lookup_queue(integer, interval, interval, interval, interval, interval) IS
    'Changes the lookup-queue policy (NULL keeps a value) and returns it. Errors: 22023 invalid values.';

REVOKE ALL ON FUNCTION enterprise.configure_lookup_queue(integer, interval, interval, interval, interval, interval) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION enterprise.configure_lookup_queue(integer, interval, interval, interval, interval, interval)
    TO enrichment_admin;

COMMIT;
