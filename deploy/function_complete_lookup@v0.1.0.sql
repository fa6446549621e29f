-- Deploy company_enrichment:function_complete_lookup to pg
-- requires: function_held_lookup
-- requires: function_complete_lookups

BEGIN;

-- EQC found the company: cache the mapping and settle the request, in one
-- transaction. The name as queued is cached; so is EQC's official full name
-- when it normalizes differently (future records spelled that way resolve
-- too). Curated rows are never touched. One request of complete_lookups, with
-- the lease check's error when the worker does not hold it.
CREATE OR REPLACE FUNCTION enterprise.complete_lookup(
    request_id    bigint,
    worker        text,
    canonical_id  text,
    official_name text DEFAULT NULL,
    unite_code    text DEFAULT NULL)
RETURNS enterprise.lookup_requests
LANGUAGE plpgsql
VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    _r enterprise.lookup_requests := enterprise._held_lookup(request_id, worker);
BEGIN
    PERFORM enterprise._check_mapping(_r.name, canonical_id, 'name');
    SELECT * INTO STRICT _r
      FROM enterprise.complete_lookups(worker, ARRAY[request_id], ARRAY[canonical_id],
                                       ARRAY[official_name], ARRAY[unite_code]);
    RETURN _r;
END;
$$;

COMMENT ON FUNCTION enterprise.complete_lookup(bigint, text, text, text, text) IS
    'Settles a held lookup as found: caches name (and official name) -> canonical_id as learned '
    'mappings (never over a curated row) and marks the request done/found, atomically. Errors: CE001 '
    'the worker does not hold the request; CE002 no such request; 22023/22001 invalid canonical_id.';

REVOKE ALL ON FUNCTION enterprise.complete_lookup(bigint, text, text, text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION enterprise.complete_lookup(bigint, text, text, text, text) TO enrichment_worker;

COMMIT;
