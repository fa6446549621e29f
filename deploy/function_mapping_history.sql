-- Deploy company_enrichment:function_mapping_history to pg
-- requires: table_company_mapping_history

BEGIN;

-- An alias's history, oldest first: every insert, update and delete of the
-- mapping rows with this alias (of one kind, or of every kind), with the
-- values before and after, who, when and the change set. The alias matches
-- the way the table stores it (trimmed), not by normalized key: the history
-- is of rows, and a revert works on rows; another spelling with the same key
-- is another row with its own history.
CREATE FUNCTION enterprise.mapping_history(
    alias_name text,
    match_type text DEFAULT NULL)
RETURNS SETOF enterprise.company_mapping_history
LANGUAGE plpgsql
STABLE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF mapping_history.alias_name IS NULL THEN
        RAISE EXCEPTION USING
            ERRCODE = 'invalid_parameter_value',
            MESSAGE = 'mapping_history: alias_name must not be NULL',
            HINT    = 'Give the alias as loaded (a plan code, account number or name).';
    END IF;
    IF mapping_history.match_type IS NOT NULL
       AND mapping_history.match_type NOT IN ('plan', 'account', 'hardcode', 'name', 'account_name') THEN
        RAISE EXCEPTION USING
            ERRCODE = 'invalid_parameter_value',
            MESSAGE = 'mapping_history: invalid match_type',
            DETAIL  = pg_catalog.format('match_type %L', mapping_history.match_type),
            HINT    = 'Use plan, account, hardcode, name or account_name, or NULL for every kind.';
    END IF;
    RETURN QUERY
    SELECT h.*
      FROM enterprise.company_mapping_history AS h
     WHERE h.alias_name IN (mapping_history.alias_name, pg_catalog.btrim(mapping_history.alias_name))
       AND (mapping_history.match_type IS NULL OR h.match_type = mapping_history.match_type)
     ORDER BY h.id;
END;
$$;

COMMENT ON FUNCTION enterprise.mapping_history(text, text) IS
    'An alias''s history (of one match_type, or all), oldest first: operation, values before and after, who, when, '
    'change set. The alias matches as stored (trimmed), not by normalized key. '
    'Errors: 22023 alias_name NULL or an invalid match_type.';

REVOKE ALL ON FUNCTION enterprise.mapping_history(text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION enterprise.mapping_history(text, text) TO enrichment_reader;

COMMIT;
