-- Deploy company_enrichment:function_search_mappings to pg
-- requires: table_company_mapping_confidence
-- requires: function_mapping_key
-- requires: owner_enrichment_owner

BEGIN;
SET LOCAL ROLE enrichment_owner;

-- Curated and learned mappings, read-only, for people: by alias (a text the
-- alias contains, or a name with the same normalized key), by company_id, or
-- by exact normalized key (the mappings sharing a name's normalized key). The
-- filters given are ANDed; at least one is required. Curated first, then by
-- kind and alias.
CREATE OR REPLACE FUNCTION enterprise.search_mappings(
    alias_contains text    DEFAULT NULL,
    company_id     text    DEFAULT NULL,
    normalized_key text    DEFAULT NULL,
    max_rows       integer DEFAULT 100)
RETURNS TABLE (
    alias_name   text,
    match_type   text,
    canonical_id text,
    source       text,
    confidence   numeric,
    eqc_type     text,
    lookup_key   text,
    updated_at   timestamptz)
LANGUAGE plpgsql
STABLE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    _alias   text := NULLIF(pg_catalog.btrim(search_mappings.alias_contains), '');
    _id      text := NULLIF(pg_catalog.btrim(search_mappings.company_id), '');
    _key     text := NULLIF(search_mappings.normalized_key, '');
    _pattern text;
    _norm    text;
BEGIN
    IF max_rows IS NULL OR max_rows NOT BETWEEN 1 AND 1000 THEN
        RAISE EXCEPTION USING
            ERRCODE = 'invalid_parameter_value',
            MESSAGE = 'search_mappings: max_rows must be between 1 and 1000',
            DETAIL  = pg_catalog.format('max_rows %s', COALESCE(max_rows::text, 'NULL')),
            HINT    = 'Narrow the search instead.';
    END IF;
    IF _alias IS NULL AND _id IS NULL AND _key IS NULL THEN
        RAISE EXCEPTION USING
            ERRCODE = 'invalid_parameter_value',
            MESSAGE = 'search_mappings: give alias_contains, company_id or normalized_key',
            HINT    = 'A search needs at least one filter; mappings are not listed whole.';
    END IF;
    IF _alias IS NOT NULL THEN
        _pattern := '%' || pg_catalog.replace(pg_catalog.replace(pg_catalog.replace(
                        _alias, '\', '\\'), '%', '\%'), '_', '\_') || '%';
        _norm := enterprise.normalize_name(_alias);
    END IF;
    RETURN QUERY
    SELECT m.alias_name::text, m.match_type::text, m.canonical_id::text, m.source::text, m.confidence, m.eqc_type,
           m.lookup_key, m.updated_at
      FROM enterprise.company_mapping AS m
     WHERE (_alias IS NULL OR m.alias_name ILIKE _pattern OR m.lookup_key = _norm)
       AND (_id IS NULL OR m.canonical_id = _id)
       AND (_key IS NULL OR m.lookup_key = _key)
     ORDER BY m.source <> 'internal', m.priority, m.alias_name
     LIMIT search_mappings.max_rows;
END;
$$;

COMMENT ON FUNCTION enterprise.search_mappings(text, text, text, integer) IS
    'Curated and learned mappings (read-only) whose alias contains alias_contains or shares its normalized key, '
    'of company_id, and/or whose lookup key is exactly normalized_key; curated first. '
    'Errors: 22023 no filter given, or max_rows outside 1..1000.';

REVOKE ALL ON FUNCTION enterprise.search_mappings(text, text, text, integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION enterprise.search_mappings(text, text, text, integer) TO enrichment_reader;

COMMIT;
