-- Deploy company_enrichment:function_cache_learned_mappings to pg
-- (reworked for v0.2.0: records each learned name's confidence and EQC match type)
-- requires: table_company_mapping
-- requires: function_check_mapping
-- requires: table_company_mapping_confidence

BEGIN;

-- Private: the one implementation of "cache names learned from an external
-- source, never over a curated row", set-based. Element i of each array is
-- one name. Validates every row first (the first bad one raises, nothing is
-- written), then per normalized name:
--   a curated name row exists      -> skipped_curated (nothing written)
--   no learned row yet             -> inserted
--   a learned row with another id  -> updated
--   a learned row with this id     -> unchanged
-- confidences[i] and eqc_types[i] (NULL arrays: unknown) are stored with a
-- row inserted or updated: how sure the answer was, and how EQC matched it.
-- The same key twice in one call: the first occurrence counts. A concurrent
-- session caching the same new name first makes ours "unchanged" (never an
-- error): ON CONFLICT DO NOTHING covers both unique keys of the table.
DROP FUNCTION enterprise._cache_learned_mappings(text[], text[], text);

CREATE FUNCTION enterprise._cache_learned_mappings(
    alias_names   text[],
    canonical_ids text[],
    source        text,
    confidences   numeric[] DEFAULT NULL,
    eqc_types     text[]    DEFAULT NULL)
RETURNS TABLE (ordinal bigint, lookup_key text, outcome text)
LANGUAGE plpgsql
VOLATILE
SET search_path = pg_catalog, pg_temp
-- Planner settings that keep every call an index lookup with a plan made once
-- per session, whatever the statistics say (README, "Plans that hold").
SET enable_seqscan = off
SET jit = off
SET plan_cache_mode = force_generic_plan
-- Generic plans cannot know how many names come in: hash joins (not nested
-- loops) keep a call with 100,000 names linear; table probes are written as
-- correlated subqueries or "= ANY", so they stay index lookups.
SET enable_nestloop = off
AS $$
#variable_conflict use_column
DECLARE
    _row_keys text[];
    _keys     text[];
    _ords     bigint[];
    _aliases  text[];
    _ids      text[];
    _confs    numeric[];
    _types    text[];
    _curated  boolean[];
    _learned  text[];
    _changed  text[];
    _inserted text[];
    _updated  text[];
BEGIN
    -- (a single name's error names no row: it is cache_company_mapping's own)
    PERFORM enterprise._check_mapping(u.alias_name, u.canonical_id, 'name',
                                      CASE WHEN pg_catalog.cardinality(alias_names) > 1 THEN u.ord END)
       FROM ROWS FROM (pg_catalog.unnest(alias_names), pg_catalog.unnest(canonical_ids))
            WITH ORDINALITY AS u(alias_name, canonical_id, ord)
      ORDER BY u.ord;

    -- Each name's key, computed once.
    SELECT pg_catalog.array_agg(enterprise._mapping_key(u.alias_name, 'name') ORDER BY u.ord)
      INTO _row_keys
      FROM ROWS FROM (pg_catalog.unnest(alias_names)) WITH ORDINALITY AS u(alias_name, ord);

    -- The first occurrence of each key, and whether a curated row has it, in
    -- key order: sessions writing overlapping names then lock them in one
    -- order and never deadlock.
    SELECT pg_catalog.array_agg(f.key ORDER BY f.key), pg_catalog.array_agg(f.ord ORDER BY f.key),
           pg_catalog.array_agg(f.alias ORDER BY f.key),
           pg_catalog.array_agg(f.id ORDER BY f.key),
           pg_catalog.array_agg(f.confidence ORDER BY f.key), pg_catalog.array_agg(f.eqc_type ORDER BY f.key),
           pg_catalog.array_agg(EXISTS (SELECT 1 FROM enterprise.company_mapping AS m
                                         WHERE m.match_type = 'name' AND m.lookup_key = f.key
                                           AND m.source = 'internal') ORDER BY f.key),
           -- the company id a learned row already gives the key, if any
           pg_catalog.array_agg((SELECT m.canonical_id FROM enterprise.company_mapping AS m
                                  WHERE m.match_type = 'name' AND m.lookup_key = f.key
                                    AND m.source <> 'internal') ORDER BY f.key)
      INTO _keys, _ords, _aliases, _ids, _confs, _types, _curated, _learned
      FROM (SELECT DISTINCT ON (u.key)
                   u.ord, u.key, pg_catalog.btrim(u.alias_name) AS alias, pg_catalog.btrim(u.canonical_id) AS id,
                   _cache_learned_mappings.confidences[u.ord] AS confidence,
                   NULLIF(pg_catalog.btrim(_cache_learned_mappings.eqc_types[u.ord]), '') AS eqc_type
              FROM ROWS FROM (pg_catalog.unnest(_row_keys), pg_catalog.unnest(alias_names),
                              pg_catalog.unnest(canonical_ids))
                   WITH ORDINALITY AS u(key, alias_name, canonical_id, ord)
             ORDER BY u.key, u.ord) AS f;

    -- New learned rows. ON CONFLICT DO NOTHING without a target covers both
    -- the learned-name key and the primary key (alias, kind).
    WITH ins AS (
        INSERT INTO enterprise.company_mapping AS m
               (alias_name, canonical_id, source, match_type, priority, confidence, eqc_type)
        SELECT x.alias, x.id, _cache_learned_mappings.source, 'name', 4, x.confidence, x.eqc_type
          FROM ROWS FROM (pg_catalog.unnest(_aliases), pg_catalog.unnest(_ids), pg_catalog.unnest(_curated),
                          pg_catalog.unnest(_learned), pg_catalog.unnest(_confs), pg_catalog.unnest(_types))
               WITH ORDINALITY AS x(alias, id, curated, learned, confidence, eqc_type, ord)
         WHERE NOT x.curated AND x.learned IS NULL
         ORDER BY x.ord
        ON CONFLICT DO NOTHING
        RETURNING m.lookup_key
    )
    SELECT pg_catalog.array_agg(ins.lookup_key) INTO _inserted FROM ins;

    -- Learned rows whose company id changed (rare). Rows are picked by their
    -- tuple ids, found with one index probe per key: the plan cannot become a
    -- scan of every learned name whatever the statistics say.
    SELECT pg_catalog.array_agg(x.key)
      INTO _changed
      FROM ROWS FROM (pg_catalog.unnest(_keys), pg_catalog.unnest(_ids), pg_catalog.unnest(_curated),
                      pg_catalog.unnest(_learned)) AS x(key, id, curated, learned)
     WHERE NOT x.curated AND x.learned IS DISTINCT FROM x.id AND x.learned IS NOT NULL;
    IF _changed IS NOT NULL THEN
        WITH answer AS MATERIALIZED (
            SELECT x.key, x.id, x.confidence, x.eqc_type
              FROM ROWS FROM (pg_catalog.unnest(_keys), pg_catalog.unnest(_ids), pg_catalog.unnest(_confs),
                              pg_catalog.unnest(_types)) AS x(key, id, confidence, eqc_type)
             WHERE x.key = ANY (_changed)
        ),
        upd AS (
            UPDATE enterprise.company_mapping AS m
               SET canonical_id = (SELECT a.id FROM answer AS a WHERE a.key = m.lookup_key),
                   confidence = (SELECT a.confidence FROM answer AS a WHERE a.key = m.lookup_key),
                   eqc_type = (SELECT a.eqc_type FROM answer AS a WHERE a.key = m.lookup_key),
                   source = _cache_learned_mappings.source, updated_at = pg_catalog.now()
             WHERE m.ctid = ANY (ARRAY(
                       SELECT (SELECT l.ctid FROM enterprise.company_mapping AS l
                                WHERE l.match_type = 'name' AND l.lookup_key = a.key AND l.source <> 'internal')
                         FROM answer AS a))
               AND m.match_type = 'name' AND m.source <> 'internal'
               AND m.canonical_id <> (SELECT a.id FROM answer AS a WHERE a.key = m.lookup_key)
            RETURNING m.lookup_key
        )
        SELECT pg_catalog.array_agg(upd.lookup_key) INTO _updated FROM upd;
    END IF;

    RETURN QUERY
    SELECT u.ord, f.key,
           CASE WHEN f.curated THEN 'skipped_curated'
                WHEN u.ord <> f.first_ord THEN 'unchanged'   -- a repeat of a key: the first one counts
                WHEN n.key IS NOT NULL THEN 'inserted'
                WHEN d.key IS NOT NULL THEN 'updated'
                ELSE 'unchanged'
           END
      FROM ROWS FROM (pg_catalog.unnest(_row_keys)) WITH ORDINALITY AS u(key, ord)
      JOIN ROWS FROM (pg_catalog.unnest(_keys), pg_catalog.unnest(_ords), pg_catalog.unnest(_curated))
           AS f(key, first_ord, curated)
        ON f.key = u.key
      LEFT JOIN (SELECT DISTINCT x.key FROM pg_catalog.unnest(_inserted) AS x(key)) AS n ON n.key = f.key
      LEFT JOIN (SELECT DISTINCT x.key FROM pg_catalog.unnest(_updated) AS x(key)) AS d ON d.key = f.key
     ORDER BY u.ord;
END;
$$;

COMMENT ON FUNCTION enterprise._cache_learned_mappings(text[], text[], text, numeric[], text[]) IS
    'Private: set-based UPSERT of learned name mappings, never over a curated row; per row: '
    'inserted | updated | unchanged | skipped_curated. Raises 22023/22001 on the first bad row.';

REVOKE ALL ON FUNCTION enterprise._cache_learned_mappings(text[], text[], text, numeric[], text[]) FROM PUBLIC;

COMMIT;
