-- Deploy company_enrichment:function_next_temp_id to pg
-- requires: sequence_temp_id
-- requires: function_format_temp_id

BEGIN;

CREATE OR REPLACE FUNCTION enterprise.next_temp_id()
RETURNS text
LANGUAGE sql
VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
RETURN enterprise._format_temp_id(pg_catalog.nextval('enterprise.temp_id_seq'));

COMMENT ON FUNCTION enterprise.next_temp_id() IS
    'Mints a fresh temporary company id (TEMP_000001, at least six digits) from a sequence; '
    'never repeats, under any concurrency. Raises nothing.';

REVOKE ALL ON FUNCTION enterprise.next_temp_id() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION enterprise.next_temp_id() TO enrichment_worker, enrichment_admin;

COMMIT;
