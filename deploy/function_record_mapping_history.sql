-- Deploy company_enrichment:function_record_mapping_history to pg
-- requires: table_company_mapping_history
-- requires: function_open_mapping_change_set

BEGIN;

-- Private trigger function of company_mapping: records what one statement
-- changed, set-based, from the statement's transition tables (one INSERT
-- into the history and one UPDATE of the change set's counts per statement,
-- whatever the number of rows). Also a BEFORE TRUNCATE trigger: a truncate
-- is recorded as the delete of every row.
--
-- The change set is the one a function opened (upsert_internal_mappings,
-- revert_mapping_change_set), else the transaction's own: opened by the first
-- change of the transaction (kind sql, labelled by the setting
-- enrichment.change_set_label if set). A setting that names a change set of
-- another transaction is ignored, so it cannot be forged.
--
-- SECURITY DEFINER: every role's changes, a DBA's manual SQL included, are
-- recorded, and nobody needs (or has) a right on the history tables.
CREATE FUNCTION enterprise._record_mapping_history()
RETURNS trigger
LANGUAGE plpgsql
VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    _setting  text := pg_catalog.current_setting('enrichment.change_set', true);
    _cs       bigint;
    _now      timestamptz := pg_catalog.clock_timestamp();
    _who      text := SESSION_USER;
    _app      text := NULLIF(pg_catalog.current_setting('application_name'), '');
    _by       text := NULLIF(pg_catalog.btrim(pg_catalog.current_setting('enrichment.changed_by', true)), '');
    _inserted bigint := 0;
    _updated  bigint := 0;
    _deleted  bigint := 0;
BEGIN
    -- Nothing changed (statement triggers fire for zero rows too): no change set.
    IF TG_OP = 'INSERT' THEN
        IF NOT EXISTS (SELECT FROM new_rows) THEN RETURN NULL; END IF;
    ELSIF TG_OP IN ('UPDATE', 'DELETE') THEN
        IF NOT EXISTS (SELECT FROM old_rows) THEN RETURN NULL; END IF;
    ELSIF NOT EXISTS (SELECT FROM enterprise.company_mapping) THEN   -- TRUNCATE
        RETURN NULL;
    END IF;

    IF _setting ~ '^[0-9]{1,18}$' THEN
        SELECT s.id INTO _cs
          FROM enterprise.company_mapping_change_sets AS s
         WHERE s.id = _setting::bigint AND s.txid = pg_catalog.pg_current_xact_id();
    END IF;
    IF _cs IS NULL THEN
        _cs := enterprise._open_mapping_change_set(
                   'sql', pg_catalog.current_setting('enrichment.change_set_label', true));
    END IF;

    IF TG_OP = 'INSERT' THEN
        INSERT INTO enterprise.company_mapping_history
               (change_set, operation, alias_name, match_type, canonical_id_after, source_after, confidence_after,
                eqc_type_after, updated_at_after, changed_at, session_user_name, application_name, changed_by)
        SELECT _cs, 'insert', n.alias_name, n.match_type, n.canonical_id, n.source, n.confidence,
               n.eqc_type, n.updated_at, _now, _who, _app, _by
          FROM new_rows AS n;
        GET DIAGNOSTICS _inserted = ROW_COUNT;
    ELSIF TG_OP = 'UPDATE' THEN
        -- Old and new rows pair by primary key; a row whose alias or kind
        -- changed is the delete of the old row and the insert of the new one.
        -- Rows the statement left as they were are not recorded.
        WITH entries AS (
            INSERT INTO enterprise.company_mapping_history
                   (change_set, operation, alias_name, match_type,
                    canonical_id_before, canonical_id_after, source_before, source_after,
                    confidence_before, confidence_after, eqc_type_before, eqc_type_after,
                    updated_at_before, updated_at_after, changed_at, session_user_name, application_name, changed_by)
            SELECT _cs,
                   CASE WHEN o.alias_name IS NULL THEN 'insert' WHEN n.alias_name IS NULL THEN 'delete' ELSE 'update' END,
                   COALESCE(n.alias_name, o.alias_name), COALESCE(n.match_type, o.match_type),
                   o.canonical_id, n.canonical_id, o.source, n.source,
                   o.confidence, n.confidence, o.eqc_type, n.eqc_type,
                   o.updated_at, n.updated_at, _now, _who, _app, _by
              FROM old_rows AS o
              FULL JOIN new_rows AS n ON n.alias_name = o.alias_name AND n.match_type = o.match_type
             WHERE o.alias_name IS NULL OR n.alias_name IS NULL
                OR (o.canonical_id, o.source, o.confidence, o.eqc_type, o.updated_at)
                   IS DISTINCT FROM (n.canonical_id, n.source, n.confidence, n.eqc_type, n.updated_at)
            RETURNING operation
        )
        SELECT pg_catalog.count(*) FILTER (WHERE e.operation = 'insert'),
               pg_catalog.count(*) FILTER (WHERE e.operation = 'update'),
               pg_catalog.count(*) FILTER (WHERE e.operation = 'delete')
          INTO _inserted, _updated, _deleted
          FROM entries AS e;
    ELSIF TG_OP = 'DELETE' THEN
        INSERT INTO enterprise.company_mapping_history
               (change_set, operation, alias_name, match_type, canonical_id_before, source_before, confidence_before,
                eqc_type_before, updated_at_before, changed_at, session_user_name, application_name, changed_by)
        SELECT _cs, 'delete', o.alias_name, o.match_type, o.canonical_id, o.source, o.confidence,
               o.eqc_type, o.updated_at, _now, _who, _app, _by
          FROM old_rows AS o;
        GET DIAGNOSTICS _deleted = ROW_COUNT;
    ELSE  -- TRUNCATE, before it happens: every row is deleted
        INSERT INTO enterprise.company_mapping_history
               (change_set, operation, alias_name, match_type, canonical_id_before, source_before, confidence_before,
                eqc_type_before, updated_at_before, changed_at, session_user_name, application_name, changed_by)
        SELECT _cs, 'delete', o.alias_name, o.match_type, o.canonical_id, o.source, o.confidence,
               o.eqc_type, o.updated_at, _now, _who, _app, _by
          FROM enterprise.company_mapping AS o;
        GET DIAGNOSTICS _deleted = ROW_COUNT;
    END IF;

    UPDATE enterprise.company_mapping_change_sets AS s
       SET inserted = s.inserted + _inserted, updated = s.updated + _updated, deleted = s.deleted + _deleted
     WHERE s.id = _cs;
    RETURN NULL;
END;
$$;

COMMENT ON FUNCTION enterprise._record_mapping_history() IS
    'Private trigger function: records a statement''s inserts, updates and deletes of company_mapping '
    '(and a truncate) into company_mapping_history, under the current change set.';

REVOKE ALL ON FUNCTION enterprise._record_mapping_history() FROM PUBLIC;

COMMIT;
