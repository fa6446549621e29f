-- Deploy company_enrichment:function_claim_policy to pg
-- requires: table_queue_settings

BEGIN;

-- Private: the lease and attempt limit a claim uses: the caller's, else the
-- queue_settings row's; raises when they make no sense. Shared by
-- claim_lookups and claim_lookup.
CREATE OR REPLACE FUNCTION enterprise._claim_policy(
    lease            interval,
    max_attempts     integer,
    OUT lease_for    interval,
    OUT attempts_for integer)
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    SELECT COALESCE(_claim_policy.lease, s.default_lease), COALESCE(_claim_policy.max_attempts, s.max_attempts)
      INTO lease_for, attempts_for
      FROM enterprise.queue_settings AS s;
    IF lease_for <= '0' OR lease_for > '1 day' THEN
        RAISE EXCEPTION USING
            ERRCODE = 'invalid_parameter_value',
            MESSAGE = 'lease must be longer than 0 and at most 1 day',
            DETAIL  = pg_catalog.format('lease %s', lease_for),
            HINT    = 'Give a lease longer than one EQC lookup with its retries takes (default 5 minutes).';
    END IF;
    IF attempts_for < 1 THEN
        RAISE EXCEPTION USING
            ERRCODE = 'invalid_parameter_value',
            MESSAGE = 'max_attempts must be at least 1',
            DETAIL  = pg_catalog.format('max_attempts %s', attempts_for),
            HINT    = 'Leave it NULL to use queue_settings.max_attempts.';
    END IF;
END;
$$;

COMMENT ON FUNCTION enterprise._claim_policy(interval, integer) IS
    'Private: the lease and max_attempts a claim uses (caller''s or queue_settings''); raises 22023.';

REVOKE ALL ON FUNCTION enterprise._claim_policy(interval, integer) FROM PUBLIC;

COMMIT;
