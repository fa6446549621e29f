-- Deploy company_enrichment:function_complete_lookup_not_found to pg
-- requires: function_held_lookup
-- requires: function_complete_lookups

BEGIN;

-- EQC knows no such company. From now on, resolving the name answers with a
-- stable TEMP id (keyed on the normalized name, minted here with the answer)
-- and does not queue it again until queue_settings.negative_cache_period has
-- passed. One request of complete_lookups, with the lease check's error.
CREATE OR REPLACE FUNCTION enterprise.complete_lookup_not_found(request_id bigint, worker text)
RETURNS enterprise.lookup_requests
LANGUAGE plpgsql
VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    _r enterprise.lookup_requests := enterprise._held_lookup(request_id, worker);
BEGIN
    SELECT * INTO STRICT _r
      FROM enterprise.complete_lookups(worker, ARRAY[request_id], ARRAY[NULL::text]);
    RETURN _r;
END;
$$;

COMMENT ON FUNCTION enterprise.complete_lookup_not_found(bigint, text) IS
    'Settles a held lookup as done/not_found: the name then resolves to a stable TEMP id and is '
    'not queued again for negative_cache_period. Errors: CE001 not held by the worker; CE002 no such request.';

REVOKE ALL ON FUNCTION enterprise.complete_lookup_not_found(bigint, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION enterprise.complete_lookup_not_found(bigint, text) TO enrichment_worker;

COMMIT;
