-- Revert company_enrichment:function_upsert_internal_mappings from pg: back to the v0.2.1 body
-- (no label, no change set in the result; the history trigger keeps recording).
-- The v0.2.1 deploy script, but for the signature it drops.
-- (reworked after v0.1.0: ambiguity is judged by lookup key, not alias text;
-- curated rows have confidence 1.00; reworked after v0.2.0: rows that conflict
-- with curated rows already loaded are refused unless replace_conflicting)
-- requires: table_company_mapping
-- requires: function_check_mapping
-- requires: type_mapping_load_result
-- requires: table_company_mapping_confidence
-- requires: type_mapping_load_result_replaced

BEGIN;

-- The admin path: bulk load of curated mappings, all or nothing. Element i
-- of each array is row i. Every row is validated first; the first bad row
-- aborts the whole load with its 1-based row number in DETAIL. Rows of one
-- kind whose lookup keys are equal (names compare by normalize_name, codes
-- by their trimmed text) but whose ids differ are ambiguous: the load is
-- refused, naming every such row. So is a row that conflicts with curated
-- rows already loaded (same kind and key, another alias, another id), unless
-- replace_conflicting: then those older rows are deleted (counted in
-- replaced). A row with the same alias and kind as a loaded one updates it,
-- as always. A curated row replaces a learned row with the same alias and
-- kind.
DROP FUNCTION enterprise.upsert_internal_mappings(text[], text[], text[], boolean, text);

CREATE FUNCTION enterprise.upsert_internal_mappings(
    alias_names         text[],
    canonical_ids       text[],
    match_types         text[],
    replace_conflicting boolean DEFAULT false)
RETURNS enterprise.mapping_load_result
LANGUAGE plpgsql
VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    _n        integer := pg_catalog.cardinality(alias_names);
    _dup      record;
    _keys     text[];
    _inserted bigint;
    _updated  bigint;
    _replaced bigint := 0;
    _old_aliases     text[];
    _old_types       text[];
    _n_conflicts     bigint;
    _first_conflict  text;
BEGIN
    IF alias_names IS NULL OR canonical_ids IS NULL OR match_types IS NULL
       OR pg_catalog.cardinality(canonical_ids) <> _n OR pg_catalog.cardinality(match_types) <> _n
       OR COALESCE(pg_catalog.array_ndims(alias_names), 1) > 1
       OR COALESCE(pg_catalog.array_ndims(canonical_ids), 1) > 1
       OR COALESCE(pg_catalog.array_ndims(match_types), 1) > 1
    THEN
        RAISE EXCEPTION USING
            ERRCODE = 'invalid_parameter_value',
            MESSAGE = 'upsert_internal_mappings: the input arrays must be non-NULL, one-dimensional and of equal length',
            DETAIL  = pg_catalog.format('lengths: alias_names %s, canonical_ids %s, match_types %s',
                          COALESCE(pg_catalog.cardinality(alias_names)::text, 'NULL'),
                          COALESCE(pg_catalog.cardinality(canonical_ids)::text, 'NULL'),
                          COALESCE(pg_catalog.cardinality(match_types)::text, 'NULL')),
            HINT    = 'Pass one element per mapping in each of the three arrays.';
    END IF;

    -- Row-level validation, in input order: the first bad row raises.
    PERFORM enterprise._check_mapping(u.alias_name, u.canonical_id, u.match_type, u.ord)
       FROM ROWS FROM (pg_catalog.unnest(alias_names), pg_catalog.unnest(canonical_ids), pg_catalog.unnest(match_types))
            WITH ORDINALITY AS u(alias_name, canonical_id, match_type, ord)
      ORDER BY u.ord;

    -- Each row's lookup key, computed once.
    SELECT pg_catalog.array_agg(enterprise._mapping_key(u.alias_name, u.match_type) ORDER BY u.ord)
      INTO _keys
      FROM ROWS FROM (pg_catalog.unnest(alias_names), pg_catalog.unnest(match_types))
           WITH ORDINALITY AS u(alias_name, match_type, ord);

    -- One lookup key of one kind with different ids is ambiguous: resolution
    -- could only pick one of them by a tie-break. (Identical aliases have
    -- identical keys, so this also catches the same alias twice.)
    SELECT u.key, u.match_type, pg_catalog.array_agg(u.ord ORDER BY u.ord) AS rows,
           pg_catalog.array_agg(DISTINCT u.alias) AS aliases,
           pg_catalog.array_agg(DISTINCT u.id) AS ids
      INTO _dup
      FROM (SELECT x.key, pg_catalog.btrim(x.alias_name) AS alias, x.match_type,
                   pg_catalog.btrim(x.canonical_id) AS id, x.ord
              FROM ROWS FROM (pg_catalog.unnest(_keys), pg_catalog.unnest(alias_names), pg_catalog.unnest(canonical_ids),
                              pg_catalog.unnest(match_types))
                   WITH ORDINALITY AS x(key, alias_name, canonical_id, match_type, ord)) AS u
     GROUP BY u.key, u.match_type
    HAVING pg_catalog.count(DISTINCT u.id) > 1
     ORDER BY pg_catalog.min(u.ord)
     LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION USING
            ERRCODE = 'invalid_parameter_value',
            MESSAGE = 'the same alias is mapped to different company ids',
            DETAIL  = pg_catalog.format('rows %s: alias_name %s (match_type %s, lookup key %L) -> %s',
                          pg_catalog.array_to_string(_dup.rows, ', '),
                          (SELECT pg_catalog.string_agg(pg_catalog.quote_literal(a), ', ') FROM pg_catalog.unnest(_dup.aliases) AS a),
                          _dup.match_type, _dup.key, pg_catalog.array_to_string(_dup.ids, ', ')),
            HINT    = 'Keep one company id per alias and match_type; names are compared after normalize_name, '
                      'so spellings that differ only by spaces, brackets or status words (已注销, 已转出) are one alias.';
    END IF;

    -- Rows that conflict with curated rows already loaded: the same kind and
    -- key under another alias, mapped to another company (rows this load
    -- itself updates by alias are not conflicts). Refused, or replaced.
    WITH input AS MATERIALIZED (
        SELECT x.ord, pg_catalog.btrim(x.alias_name) AS alias, x.match_type, x.key, pg_catalog.btrim(x.canonical_id) AS id
          FROM ROWS FROM (pg_catalog.unnest(_keys), pg_catalog.unnest(alias_names), pg_catalog.unnest(canonical_ids),
                          pg_catalog.unnest(match_types))
               WITH ORDINALITY AS x(key, alias_name, canonical_id, match_type, ord)
    ),
    conflicts AS (
        SELECT i.ord, i.alias, i.match_type, i.key, i.id, m.alias_name::text AS old_alias, m.canonical_id::text AS old_id
          FROM input AS i
          JOIN enterprise.company_mapping AS m
            ON m.match_type = i.match_type AND m.lookup_key = i.key AND m.source = 'internal'
         WHERE m.alias_name <> i.alias AND m.canonical_id <> i.id
           AND NOT EXISTS (SELECT 1 FROM input AS j WHERE j.alias = m.alias_name AND j.match_type = m.match_type)
    )
    SELECT pg_catalog.array_agg(c.old_alias ORDER BY c.ord, c.old_alias),
           pg_catalog.array_agg(c.match_type ORDER BY c.ord, c.old_alias),
           (SELECT pg_catalog.count(DISTINCT d.ord) FROM conflicts AS d),
           (SELECT pg_catalog.format('row %s: alias_name %L (match_type %s, lookup key %L) -> %s; already loaded: %s',
                                     f.ord, f.alias, f.match_type, f.key, f.id,
                                     pg_catalog.string_agg(pg_catalog.format('%L -> %s', f.old_alias, f.old_id), ', '
                                                           ORDER BY f.old_alias))
              FROM conflicts AS f
             WHERE f.ord = (SELECT pg_catalog.min(g.ord) FROM conflicts AS g)
             GROUP BY f.ord, f.alias, f.match_type, f.key, f.id)
      INTO _old_aliases, _old_types, _n_conflicts, _first_conflict
      FROM conflicts AS c;
    IF _old_aliases IS NOT NULL THEN
        IF NOT COALESCE(replace_conflicting, false) THEN
            RAISE EXCEPTION USING
                ERRCODE = 'invalid_parameter_value',
                MESSAGE = 'an alias conflicts with curated mappings already loaded',
                DETAIL  = _first_conflict || CASE WHEN _n_conflicts > 1
                                                  THEN pg_catalog.format(' (%s rows of this load conflict)', _n_conflicts)
                                                  ELSE '' END,
                HINT    = 'Names are compared after normalize_name. Fix the file, or load with replace_conflicting => true '
                          '(mappings import --replace-conflicting) to replace the rows already loaded.';
        END IF;
        DELETE FROM enterprise.company_mapping AS m
         USING (SELECT DISTINCT d.old_alias, d.match_type
                  FROM ROWS FROM (pg_catalog.unnest(_old_aliases), pg_catalog.unnest(_old_types)) AS d(old_alias, match_type)) AS d
         WHERE m.alias_name = d.old_alias AND m.match_type = d.match_type AND m.source = 'internal';
        GET DIAGNOSTICS _replaced = ROW_COUNT;
    END IF;

    WITH src AS (
        SELECT DISTINCT ON (pg_catalog.btrim(u.alias_name), u.match_type)
               pg_catalog.btrim(u.alias_name) AS alias_name,
               pg_catalog.btrim(u.canonical_id) AS canonical_id,
               u.match_type
          FROM ROWS FROM (pg_catalog.unnest(alias_names), pg_catalog.unnest(canonical_ids), pg_catalog.unnest(match_types))
               AS u(alias_name, canonical_id, match_type)
         ORDER BY pg_catalog.btrim(u.alias_name), u.match_type
    ),
    up AS (
        INSERT INTO enterprise.company_mapping AS m
               (alias_name, canonical_id, source, match_type, priority, confidence)
        SELECT s.alias_name, s.canonical_id, 'internal', s.match_type,
               CASE s.match_type WHEN 'plan' THEN 1 WHEN 'account' THEN 2 WHEN 'hardcode' THEN 3
                                 WHEN 'name' THEN 4 WHEN 'account_name' THEN 5 END,
               1.00
          FROM src AS s
        ON CONFLICT ON CONSTRAINT company_mapping_pkey DO UPDATE
           SET canonical_id = EXCLUDED.canonical_id,
               source       = 'internal',
               confidence   = 1.00,
               eqc_type     = NULL,
               updated_at   = pg_catalog.now()
         WHERE (m.canonical_id, m.source) IS DISTINCT FROM (EXCLUDED.canonical_id, 'internal')
        RETURNING (m.xmax = 0) AS inserted
    )
    SELECT pg_catalog.count(*) FILTER (WHERE up.inserted), pg_catalog.count(*) FILTER (WHERE NOT up.inserted)
      INTO _inserted, _updated
      FROM up;

    RETURN ROW(_inserted, _updated,
               (SELECT pg_catalog.count(*) FROM (SELECT DISTINCT pg_catalog.btrim(a), t
                                                   FROM ROWS FROM (pg_catalog.unnest(alias_names), pg_catalog.unnest(match_types)) AS z(a, t)) AS d)
               - _inserted - _updated,
               _replaced)::enterprise.mapping_load_result;
END;
$$;

COMMENT ON FUNCTION enterprise.upsert_internal_mappings(text[], text[], text[], boolean) IS
    'Bulk-loads curated mappings (element i of each array = row i), all or nothing; returns '
    '(inserted, updated, unchanged, replaced). A curated row replaces a learned row with the same alias; '
    'replace_conflicting deletes loaded curated rows of the same kind and key with another alias and id. '
    'Errors: 22023 unequal arrays, invalid match_type, empty alias key or canonical_id, '
    'one alias (one lookup key of one kind) mapped to two ids, a row conflicting with loaded ones; 22001 alias over 255 or canonical_id over 50 characters. '
    'DETAIL names the 1-based row and its values.';

REVOKE ALL ON FUNCTION enterprise.upsert_internal_mappings(text[], text[], text[], boolean) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION enterprise.upsert_internal_mappings(text[], text[], text[], boolean) TO enrichment_admin;

COMMIT;
