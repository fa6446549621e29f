-- Deploy company_enrichment:function_check_worker to pg
-- requires: schema_enterprise

BEGIN;

-- Private: a worker names itself on every queue call; the name is what a
-- lease is held by, so it must be there.
CREATE OR REPLACE FUNCTION enterprise._check_worker(worker text)
RETURNS void
LANGUAGE plpgsql
IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF COALESCE(pg_catalog.btrim(worker), '') = '' OR pg_catalog.length(worker) > 200 THEN
        RAISE EXCEPTION USING
            ERRCODE = 'invalid_parameter_value',
            MESSAGE = 'invalid worker name',
            DETAIL  = pg_catalog.format('worker %L', pg_catalog.left(worker, 60)),
            HINT    = 'Name the worker with 1 to 200 characters, unique per process (for example host:pid).';
    END IF;
END;
$$;

COMMENT ON FUNCTION enterprise._check_worker(text) IS
    'Private: raises 22023 unless the worker name has 1 to 200 characters.';

REVOKE ALL ON FUNCTION enterprise._check_worker(text) FROM PUBLIC;

COMMIT;
