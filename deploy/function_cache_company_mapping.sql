-- Deploy company_enrichment:function_cache_company_mapping to pg
-- requires: table_company_mapping
-- requires: function_cache_learned_mappings

BEGIN;

-- Caches a customer name learned from an external source (EQC). Atomic UPSERT
-- on the normalized name; a curated row for the same name always wins and is
-- never touched. Returns what happened: inserted, updated, unchanged or
-- skipped_curated.
CREATE OR REPLACE FUNCTION enterprise.cache_company_mapping(
    alias_name   text,
    canonical_id text,
    source       text DEFAULT 'EQC')
RETURNS text
LANGUAGE plpgsql
VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    _source text := pg_catalog.btrim(cache_company_mapping.source);
BEGIN
    IF COALESCE(_source, '') = '' OR _source = 'internal' OR pg_catalog.length(_source) > 20 THEN
        RAISE EXCEPTION USING
            ERRCODE = 'invalid_parameter_value',
            MESSAGE = 'invalid source for a learned mapping',
            DETAIL  = pg_catalog.format('alias_name %L, source %L', cache_company_mapping.alias_name,
                                        cache_company_mapping.source),
            HINT    = 'source names the external system (default EQC, at most 20 characters); '
                      'curated rows (source internal) are loaded with upsert_internal_mappings.';
    END IF;
    RETURN (SELECT c.outcome
              FROM enterprise._cache_learned_mappings(ARRAY[cache_company_mapping.alias_name],
                                                      ARRAY[cache_company_mapping.canonical_id], _source) AS c);
END;
$$;

COMMENT ON FUNCTION enterprise.cache_company_mapping(text, text, text) IS
    'Caches a learned name -> company id mapping (atomic UPSERT on the normalized name); never '
    'touches or shadows a curated row. Returns inserted | updated | unchanged | skipped_curated. '
    'Errors: 22023 empty alias key, empty canonical_id, bad source or match_type; '
    '22001 alias over 255 or canonical_id over 50 characters.';

REVOKE ALL ON FUNCTION enterprise.cache_company_mapping(text, text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION enterprise.cache_company_mapping(text, text, text) TO enrichment_worker;

COMMIT;
