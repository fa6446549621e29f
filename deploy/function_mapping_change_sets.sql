-- Deploy company_enrichment:function_mapping_change_sets to pg
-- requires: type_mapping_change_set
-- requires: table_company_mapping_change_sets

BEGIN;

-- The most recent change sets, newest first, with how many rows each
-- inserted, updated and deleted: what `mappings imports` lists, and the ids
-- revert_mapping_change_set takes.
CREATE FUNCTION enterprise.mapping_change_sets(max_rows integer DEFAULT 100)
RETURNS SETOF enterprise.mapping_change_set
LANGUAGE plpgsql
STABLE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF mapping_change_sets.max_rows IS NULL OR mapping_change_sets.max_rows NOT BETWEEN 1 AND 100000 THEN
        RAISE EXCEPTION USING
            ERRCODE = 'invalid_parameter_value',
            MESSAGE = 'mapping_change_sets: max_rows must be between 1 and 100000',
            DETAIL  = pg_catalog.format('max_rows %s', COALESCE(mapping_change_sets.max_rows::text, 'NULL')),
            HINT    = 'Ask for fewer change sets (the default is 100).';
    END IF;
    RETURN QUERY
    SELECT s.id, s.kind, s.label, s.reverts, s.session_user_name, s.application_name, s.changed_by, s.created_at,
           s.inserted, s.updated, s.deleted
      FROM enterprise.company_mapping_change_sets AS s
     ORDER BY s.id DESC
     LIMIT mapping_change_sets.max_rows;
END;
$$;

COMMENT ON FUNCTION enterprise.mapping_change_sets(integer) IS
    'The most recent change sets of company_mapping, newest first: id, kind, label, who, when, '
    'rows inserted, updated and deleted. Errors: 22023 max_rows not between 1 and 100000.';

REVOKE ALL ON FUNCTION enterprise.mapping_change_sets(integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION enterprise.mapping_change_sets(integer) TO enrichment_reader;

COMMIT;
