-- Deploy company_enrichment:function_name_temp_key to pg
-- requires: function_short_temp_key

BEGIN;

-- Private: the temp_id_assignments key of a customer name EQC does not know.
-- One place for the format, shared by resolution and complete_lookup_not_found.
CREATE OR REPLACE FUNCTION enterprise._name_temp_key(normalized_name text)
RETURNS text
LANGUAGE sql
IMMUTABLE
STRICT
PARALLEL SAFE
RETURN enterprise._short_temp_key('name' || pg_catalog.chr(31) || normalized_name);

COMMENT ON FUNCTION enterprise._name_temp_key(text) IS
    'Private: temp_id_assignments key for a name EQC does not know (name<US>normalized name).';

REVOKE ALL ON FUNCTION enterprise._name_temp_key(text) FROM PUBLIC;

COMMIT;
