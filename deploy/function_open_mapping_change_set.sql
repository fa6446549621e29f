-- Deploy company_enrichment:function_open_mapping_change_set to pg
-- requires: table_company_mapping_change_sets

BEGIN;

-- Private: start a change set and make it the one the history trigger
-- records into for the rest of the transaction, or until the caller closes
-- it (set_config('enrichment.change_set', '', true)). The id lives in the
-- transaction-local setting enrichment.change_set, so it is undone with a
-- rolled-back savepoint together with the change set's row, and no other
-- session ever sees it: concurrent sessions never share a change set.
CREATE FUNCTION enterprise._open_mapping_change_set(
    kind    text,
    label   text   DEFAULT NULL,
    reverts bigint DEFAULT NULL)
RETURNS bigint
LANGUAGE plpgsql
VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    _id bigint;
BEGIN
    INSERT INTO enterprise.company_mapping_change_sets AS s (kind, label, reverts, application_name, changed_by)
    VALUES (_open_mapping_change_set.kind,
            NULLIF(pg_catalog.btrim(_open_mapping_change_set.label), ''),
            _open_mapping_change_set.reverts,
            NULLIF(pg_catalog.current_setting('application_name'), ''),
            NULLIF(pg_catalog.btrim(pg_catalog.current_setting('enrichment.changed_by', true)), ''))
    RETURNING s.id INTO _id;
    PERFORM pg_catalog.set_config('enrichment.change_set', _id::text, true);
    RETURN _id;
END;
$$;

COMMENT ON FUNCTION enterprise._open_mapping_change_set(text, text, bigint) IS
    'Private: insert a change set and make it current for the transaction (setting enrichment.change_set).';

REVOKE ALL ON FUNCTION enterprise._open_mapping_change_set(text, text, bigint) FROM PUBLIC;

COMMIT;
