-- Deploy company_enrichment:function_mapping_key to pg
-- requires: function_normalize_name

BEGIN;

-- Private: the lookup key of a mapping. Names (name, account_name) compare by
-- normalize_name; codes (plan, account, hardcode) by their trimmed text.
CREATE OR REPLACE FUNCTION enterprise._mapping_key(alias_name text, match_type text)
RETURNS text
LANGUAGE sql
IMMUTABLE
PARALLEL SAFE
RETURN CASE WHEN match_type IN ('name', 'account_name')
            THEN enterprise.normalize_name(alias_name)
            ELSE pg_catalog.btrim(alias_name)
       END;

COMMENT ON FUNCTION enterprise._mapping_key(text, text) IS
    'Private: lookup key of a mapping: normalize_name for name kinds, btrim for code kinds.';

REVOKE ALL ON FUNCTION enterprise._mapping_key(text, text) FROM PUBLIC;

COMMIT;
