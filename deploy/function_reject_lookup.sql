-- Deploy company_enrichment:function_reject_lookup to pg
-- requires: function_take_for_review
-- requires: function_settle_lookups_private

BEGIN;

-- A person's decision: none of EQC's candidates is this name's company.
-- Settles the request as not found, exactly like EQC finding nothing: the
-- name resolves to a stable TEMP id keyed on it.
CREATE OR REPLACE FUNCTION enterprise.reject_lookup(request_id bigint)
RETURNS enterprise.lookup_requests
LANGUAGE plpgsql
VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    _take record;
    _r    enterprise.lookup_requests;
BEGIN
    SELECT * INTO _take FROM enterprise._take_for_review(request_id);
    SELECT * INTO STRICT _r
      FROM enterprise._settle_lookups(_take.worker, ARRAY[request_id], ARRAY['[]'::jsonb], 'person');
    RETURN _r;
END;
$$;

COMMENT ON FUNCTION enterprise.reject_lookup(bigint) IS
    'A person rejects every candidate of a request under review: it is settled as not found and the name '
    'resolves to a TEMP id. Errors: CE002 no such request; CE003 not under review (decided already).';

REVOKE ALL ON FUNCTION enterprise.reject_lookup(bigint) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION enterprise.reject_lookup(bigint) TO enrichment_admin;

COMMIT;
