-- Deploy company_enrichment:function_short_temp_key to pg
-- requires: schema_enterprise

BEGIN;

-- Private: a TEMP key short enough for its unique index (an index entry holds
-- at most about 2,700 bytes). Keys up to 1,000 bytes are kept as they are;
-- longer ones (records with absurdly long codes or names) become their first
-- 200 characters and the MD5 of the whole key.
CREATE OR REPLACE FUNCTION enterprise._short_temp_key(temp_key text)
RETURNS text
LANGUAGE sql
IMMUTABLE
STRICT
PARALLEL SAFE
RETURN CASE WHEN pg_catalog.octet_length(temp_key) <= 1000 THEN temp_key
            ELSE pg_catalog.left(temp_key, 200) || pg_catalog.chr(31) || 'md5:' || pg_catalog.md5(temp_key)
       END;

COMMENT ON FUNCTION enterprise._short_temp_key(text) IS
    'Private: a TEMP key that fits its index: kept up to 1,000 bytes, else prefix + MD5.';

REVOKE ALL ON FUNCTION enterprise._short_temp_key(text) FROM PUBLIC;

COMMIT;
