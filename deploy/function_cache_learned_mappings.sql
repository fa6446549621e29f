-- Deploy company_enrichment:function_cache_learned_mappings to pg
-- requires: table_company_mapping
-- requires: function_check_mapping

BEGIN;

-- Private: the one implementation of "cache names learned from an external
-- source, never over a curated row", set-based. Element i of each array is
-- one name. Validates every row first (the first bad one raises, nothing is
-- written), then per normalized name:
--   a curated name row exists      -> skipped_curated (nothing written)
--   no learned row yet             -> inserted
--   a learned row with another id  -> updated
--   a learned row with this id     -> unchanged
-- The same key twice in one call: the first occurrence counts. A concurrent
-- session caching the same new name first makes ours "unchanged" (never an
-- error): ON CONFLICT DO NOTHING covers both unique keys of the table.
CREATE OR REPLACE FUNCTION enterprise._cache_learned_mappings(
    alias_names   text[],
    canonical_ids text[],
    source        text)
RETURNS TABLE (ordinal bigint, lookup_key text, outcome text)
LANGUAGE plpgsql
VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
BEGIN
    PERFORM enterprise._check_mapping(u.alias_name, u.canonical_id, 'name', u.ord)
       FROM ROWS FROM (pg_catalog.unnest(alias_names), pg_catalog.unnest(canonical_ids))
            WITH ORDINALITY AS u(alias_name, canonical_id, ord)
      ORDER BY u.ord;

    RETURN QUERY
    WITH input AS MATERIALIZED (
        SELECT u.ord, pg_catalog.btrim(u.alias_name) AS alias, pg_catalog.btrim(u.canonical_id) AS id,
               enterprise._mapping_key(u.alias_name, 'name') AS key
          FROM ROWS FROM (pg_catalog.unnest(alias_names), pg_catalog.unnest(canonical_ids))
               WITH ORDINALITY AS u(alias_name, canonical_id, ord)
    ),
    firsts AS (
        SELECT DISTINCT ON (i.key) i.*,
               EXISTS (SELECT 1 FROM enterprise.company_mapping AS m
                        WHERE m.match_type = 'name' AND m.lookup_key = i.key AND m.source = 'internal') AS curated
          FROM input AS i
         ORDER BY i.key, i.ord
    ),
    inserted AS (
        INSERT INTO enterprise.company_mapping AS m (alias_name, canonical_id, source, match_type, priority)
        SELECT f.alias, f.id, _cache_learned_mappings.source, 'name', 4
          FROM firsts AS f
         WHERE NOT f.curated
         ORDER BY f.ord
        ON CONFLICT DO NOTHING
        RETURNING m.lookup_key
    ),
    updated AS (
        UPDATE enterprise.company_mapping AS m
           SET canonical_id = f.id, source = _cache_learned_mappings.source, updated_at = pg_catalog.now()
          FROM firsts AS f
         WHERE NOT f.curated
           AND m.match_type = 'name' AND m.source <> 'internal' AND m.lookup_key = f.key
           AND m.canonical_id <> f.id
        RETURNING m.lookup_key
    )
    SELECT i.ord, i.key,
           CASE WHEN f.curated THEN 'skipped_curated'
                WHEN i.ord <> f.ord THEN 'unchanged'
                WHEN EXISTS (SELECT 1 FROM inserted AS n WHERE n.lookup_key = i.key) THEN 'inserted'
                WHEN EXISTS (SELECT 1 FROM updated AS d WHERE d.lookup_key = i.key) THEN 'updated'
                ELSE 'unchanged'
           END
      FROM input AS i
      JOIN firsts AS f ON f.key = i.key
     ORDER BY i.ord;
END;
$$;

COMMENT ON FUNCTION enterprise._cache_learned_mappings(text[], text[], text) IS
    'Private: set-based UPSERT of learned name mappings, never over a curated row; per row: '
    'inserted | updated | unchanged | skipped_curated. Raises 22023/22001 on the first bad row.';

REVOKE ALL ON FUNCTION enterprise._cache_learned_mappings(text[], text[], text) FROM PUBLIC;

COMMIT;
