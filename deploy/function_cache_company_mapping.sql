-- Deploy company_enrichment:function_cache_company_mapping to pg
-- requires: table_company_mapping
-- requires: function_check_mapping

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
    _alias  text := pg_catalog.btrim(cache_company_mapping.alias_name);
    _id     text := pg_catalog.btrim(cache_company_mapping.canonical_id);
    _source text := pg_catalog.btrim(cache_company_mapping.source);
    _key    text;
    _old_id text;
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
    PERFORM enterprise._check_mapping(_alias, _id, 'name');
    _key := enterprise._mapping_key(_alias, 'name');

    -- Two tries: a concurrent cache of the same name can win the insert, after
    -- which ours becomes an update.
    FOR _try IN 1..2 LOOP
        IF EXISTS (SELECT 1 FROM enterprise.company_mapping AS m
                    WHERE m.match_type = 'name' AND m.lookup_key = _key AND m.source = 'internal') THEN
            RETURN 'skipped_curated';
        END IF;

        SELECT m.canonical_id INTO _old_id
          FROM enterprise.company_mapping AS m
         WHERE m.match_type = 'name' AND m.lookup_key = _key AND m.source <> 'internal'
           FOR UPDATE;
        IF FOUND THEN
            IF _old_id = _id THEN
                RETURN 'unchanged';
            END IF;
            UPDATE enterprise.company_mapping AS m
               SET canonical_id = _id, source = _source, updated_at = pg_catalog.now()
             WHERE m.match_type = 'name' AND m.lookup_key = _key AND m.source <> 'internal';
            RETURN 'updated';
        END IF;

        INSERT INTO enterprise.company_mapping (alias_name, canonical_id, source, match_type, priority)
        VALUES (_alias, _id, _source, 'name', 4)
        ON CONFLICT DO NOTHING;
        IF FOUND THEN
            RETURN 'inserted';
        END IF;
    END LOOP;

    RAISE EXCEPTION USING
        ERRCODE = 'serialization_failure',
        MESSAGE = 'cache_company_mapping: the name was changed concurrently',
        DETAIL  = pg_catalog.format('alias_name %L, lookup key %L', _alias, _key),
        HINT    = 'Retry the transaction.';
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
