-- Deploy company_enrichment:function_upsert_internal_mappings to pg
-- (reworked after v0.1.0: ambiguity is judged by lookup key, not alias text;
-- curated rows have confidence 1.00)
-- requires: table_company_mapping
-- requires: function_check_mapping
-- requires: type_mapping_load_result
-- requires: table_company_mapping_confidence

BEGIN;

DROP FUNCTION enterprise.upsert_internal_mappings(text[], text[], text[], boolean);

-- The admin path: bulk load of curated mappings, all or nothing. Element i
-- of each array is row i. Every row is validated first; the first bad row
-- aborts the whole load with its 1-based row number in DETAIL. Rows of one
-- kind whose lookup keys are equal (names compare by normalize_name, codes
-- by their trimmed text) but whose ids differ are ambiguous: the load is
-- refused, naming every such row. A curated row replaces a learned row with
-- the same alias and kind.
CREATE OR REPLACE FUNCTION enterprise.upsert_internal_mappings(
    alias_names   text[],
    canonical_ids text[],
    match_types   text[])
RETURNS enterprise.mapping_load_result
LANGUAGE plpgsql
VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    _n        integer := pg_catalog.cardinality(alias_names);
    _dup      record;
    _inserted bigint;
    _updated  bigint;
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

    -- One lookup key of one kind with different ids is ambiguous: resolution
    -- could only pick one of them by a tie-break. (Identical aliases have
    -- identical keys, so this also catches the same alias twice.)
    SELECT u.key, u.match_type, pg_catalog.array_agg(u.ord ORDER BY u.ord) AS rows,
           pg_catalog.array_agg(DISTINCT u.alias) AS aliases,
           pg_catalog.array_agg(DISTINCT u.id) AS ids
      INTO _dup
      FROM (SELECT enterprise._mapping_key(x.alias_name, x.match_type) AS key,
                   pg_catalog.btrim(x.alias_name) AS alias, x.match_type,
                   pg_catalog.btrim(x.canonical_id) AS id, x.ord
              FROM ROWS FROM (pg_catalog.unnest(alias_names), pg_catalog.unnest(canonical_ids), pg_catalog.unnest(match_types))
                   WITH ORDINALITY AS x(alias_name, canonical_id, match_type, ord)) AS u
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
               - _inserted - _updated)::enterprise.mapping_load_result;
END;
$$;

COMMENT ON FUNCTION enterprise.upsert_internal_mappings(text[], text[], text[]) IS
    'Bulk-loads curated mappings (element i of each array = row i), all or nothing; returns '
    '(inserted, updated, unchanged). A curated row replaces a learned row with the same alias. '
    'Errors: 22023 unequal arrays, invalid match_type, empty alias key or canonical_id, '
    'one alias (one lookup key of one kind) mapped to two ids; 22001 alias over 255 or canonical_id over 50 characters. '
    'DETAIL names the 1-based row and its values.';

REVOKE ALL ON FUNCTION enterprise.upsert_internal_mappings(text[], text[], text[]) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION enterprise.upsert_internal_mappings(text[], text[], text[]) TO enrichment_admin;

COMMIT;
