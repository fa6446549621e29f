-- Deploy company_enrichment:function_format_temp_id to pg
-- requires: schema_enterprise

BEGIN;

-- TEMP_ + the number, zero-padded to at least six digits (TEMP_000042,
-- TEMP_1234567). Private: one place for the format.
CREATE OR REPLACE FUNCTION enterprise._format_temp_id(n bigint)
RETURNS text
LANGUAGE sql
IMMUTABLE
STRICT
PARALLEL SAFE
RETURN 'TEMP_' || pg_catalog.lpad(n::text, GREATEST(6, pg_catalog.length(n::text)), '0');

COMMENT ON FUNCTION enterprise._format_temp_id(bigint) IS
    'Private: formats a temp_id_seq value as TEMP_ plus at least six digits.';

REVOKE ALL ON FUNCTION enterprise._format_temp_id(bigint) FROM PUBLIC;

COMMIT;
