-- Deploy company_enrichment:function_accept_lookup_candidate to pg
-- requires: function_take_for_review
-- requires: function_settle_lookups_private
-- requires: table_eqc_companies

BEGIN;

-- A person's decision: the name means this company. Learns the mapping
-- (source EQC, confidence 1.00, EQC's type of that candidate) and settles the
-- request done/found, exactly as an accepted EQC answer would. The company
-- must be one of the request's candidates, unless force.
CREATE OR REPLACE FUNCTION enterprise.accept_lookup_candidate(
    request_id bigint,
    company_id text,
    force      boolean DEFAULT false)
RETURNS enterprise.lookup_requests
LANGUAGE plpgsql
VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    _id   text := pg_catalog.btrim(accept_lookup_candidate.company_id);
    _take record;
    _c    jsonb;
    _r    enterprise.lookup_requests;
BEGIN
    IF COALESCE(_id, '') = '' OR pg_catalog.length(_id) > 50 THEN
        RAISE EXCEPTION USING
            ERRCODE = CASE WHEN pg_catalog.length(_id) > 50 THEN 'string_data_right_truncation'
                           ELSE 'invalid_parameter_value' END,
            MESSAGE = 'invalid company id',
            DETAIL  = pg_catalog.format('request_id %s, company_id %L', request_id, pg_catalog.left(company_id, 60)),
            HINT    = 'Give the company id of one of the request''s candidates (at most 50 characters).';
    END IF;
    SELECT * INTO _take FROM enterprise._take_for_review(request_id);
    SELECT c INTO _c FROM pg_catalog.jsonb_array_elements((_take.request).candidates) AS c
     WHERE c ->> 'company_id' = _id
     LIMIT 1;
    IF _c IS NULL AND NOT COALESCE(force, false) THEN
        RAISE EXCEPTION USING
            ERRCODE = 'CE004',
            MESSAGE = 'the company is not one of the request''s candidates',
            DETAIL  = pg_catalog.format('request_id %s (%L): company_id %L; candidates %s', request_id,
                          (_take.request).name, _id,
                          (SELECT pg_catalog.string_agg(c ->> 'company_id', ', ')
                             FROM pg_catalog.jsonb_array_elements((_take.request).candidates) AS c)),
            HINT    = 'Pick one of the candidates, or pass force => true to map the name to another company.';
    END IF;
    IF _c IS NULL THEN
        -- forced: what EQC ever said about that company, if anything
        SELECT pg_catalog.jsonb_build_object('company_id', e.company_id, 'full_name', e.full_name,
                                             'unite_code', e.unite_code)
          INTO _c
          FROM enterprise.eqc_companies AS e WHERE e.company_id = _id;
        _c := COALESCE(_c, pg_catalog.jsonb_build_object('company_id', _id));
    END IF;
    SELECT * INTO STRICT _r
      FROM enterprise._settle_lookups(
               _take.worker, ARRAY[request_id],
               ARRAY[pg_catalog.jsonb_build_array(pg_catalog.jsonb_strip_nulls(pg_catalog.jsonb_build_object(
                   'companyId', _c ->> 'company_id', 'companyFullName', _c ->> 'full_name',
                   'unite_code', _c ->> 'unite_code', 'type', _c ->> 'eqc_type')))],
               'person');
    RETURN _r;
END;
$$;

COMMENT ON FUNCTION enterprise.accept_lookup_candidate(bigint, text, boolean) IS
    'A person accepts a company for a request under review: learns the name (source EQC, confidence 1.00) '
    'and settles it done/found. Errors: CE002 no such request; CE003 not under review (decided already); '
    'CE004 not one of its candidates (force => true overrides); 22023/22001 blank or over-long company id.';

REVOKE ALL ON FUNCTION enterprise.accept_lookup_candidate(bigint, text, boolean) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION enterprise.accept_lookup_candidate(bigint, text, boolean) TO enrichment_admin;

COMMIT;
