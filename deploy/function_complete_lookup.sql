-- Deploy company_enrichment:function_complete_lookup to pg
-- requires: function_held_lookup
-- requires: function_cache_company_mapping

BEGIN;

-- EQC found the company: cache the mapping and settle the request, in one
-- transaction. The name as queued is cached; so is EQC's official full name
-- when it normalizes differently (future records spelled that way resolve
-- too). Curated rows are never touched (cache_company_mapping skips them).
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
    PERFORM enterprise.cache_company_mapping(_r.name, canonical_id, 'EQC');
    IF COALESCE(enterprise.normalize_name(official_name), '') NOT IN ('', _r.normalized_name)
       AND pg_catalog.length(pg_catalog.btrim(official_name)) <= 255 THEN
        PERFORM enterprise.cache_company_mapping(official_name, canonical_id, 'EQC');
    END IF;

    UPDATE enterprise.lookup_requests AS q
       SET status = 'done', outcome = 'found', company_id = pg_catalog.btrim(complete_lookup.canonical_id),
           official_name = NULLIF(pg_catalog.btrim(complete_lookup.official_name), ''),
           unite_code = NULLIF(pg_catalog.btrim(complete_lookup.unite_code), ''),
           lease_owner = NULL, lease_expires_at = NULL, last_error = NULL,
           completed_at = pg_catalog.now(), updated_at = pg_catalog.now()
     WHERE q.id = _r.id
    RETURNING * INTO _r;
    RETURN _r;
END;
$$;

COMMENT ON FUNCTION enterprise.complete_lookup(bigint, text, text, text, text) IS
    'Settles a held lookup as found: caches name (and official name) -> canonical_id through '
    'cache_company_mapping and marks the request done/found, atomically. Errors: CE001 the worker '
    'does not hold the request; CE002 no such request; 22023/22001 invalid canonical_id.';

REVOKE ALL ON FUNCTION enterprise.complete_lookup(bigint, text, text, text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION enterprise.complete_lookup(bigint, text, text, text, text) TO enrichment_worker;

COMMIT;
