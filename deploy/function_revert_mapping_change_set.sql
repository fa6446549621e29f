-- Deploy company_enrichment:function_revert_mapping_change_set to pg
-- requires: type_mapping_change_set
-- requires: table_company_mapping_history
-- requires: function_open_mapping_change_set
-- requires: trigger_company_mapping_history
-- requires: function_mapping_key

BEGIN;

-- Undo a change set: every row it touched goes back to its state before the
-- change set's first change of it (values and updated_at): rows it inserted
-- are deleted, rows it updated get their old values back, rows it deleted
-- (learned ones included) come back. All or nothing, and recorded as a change
-- set of its own (kind revert), so an undo can be undone.
--
-- Refused (CE005) when a row is no longer as the change set left it: a later
-- change set changed it, and that change is still in place (a later change
-- that was itself reverted does not count: revert B, then A, works). DETAIL
-- names the rows and the later change sets; force => true restores them
-- anyway, overwriting the later changes.
--
-- Locks: the loads' lock (no load runs meanwhile), then the table in SHARE
-- ROW EXCLUSIVE mode: readers read on, writers (the worker) wait until the
-- revert commits, so nothing changes between the check and the undo.
--
-- Also refused (CE005, even with force) when a learned row to bring back has
-- a name another learned row holds now (a name has one learned row).
CREATE FUNCTION enterprise.revert_mapping_change_set(
    change_set bigint,
    force      boolean DEFAULT false)
RETURNS enterprise.mapping_change_set
LANGUAGE plpgsql
VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    _target      enterprise.company_mapping_change_sets;
    _n_conflicts bigint;
    _conflicts   text;
    _cs          bigint;
    _result      enterprise.mapping_change_set;
BEGIN
    LOCK TABLE enterprise.company_mapping_change_sets IN SHARE UPDATE EXCLUSIVE MODE;
    LOCK TABLE enterprise.company_mapping IN SHARE ROW EXCLUSIVE MODE;

    SELECT s.* INTO _target
      FROM enterprise.company_mapping_change_sets AS s
     WHERE s.id = revert_mapping_change_set.change_set;
    IF NOT FOUND THEN
        RAISE EXCEPTION USING
            ERRCODE = 'CE006',
            MESSAGE = 'mapping change set does not exist',
            DETAIL  = pg_catalog.format('change_set %s', COALESCE(revert_mapping_change_set.change_set::text, 'NULL')),
            HINT    = 'Use an id from enterprise.mapping_change_sets() (mappings imports).';
    END IF;

    -- Rows no longer as the change set left them (its last change of each row).
    WITH last AS (
        SELECT DISTINCT ON (h.alias_name, h.match_type)
               h.id, h.alias_name, h.match_type, h.operation <> 'delete' AS present,
               h.canonical_id_after, h.source_after, h.confidence_after, h.eqc_type_after
          FROM enterprise.company_mapping_history AS h
         WHERE h.change_set = revert_mapping_change_set.change_set
         ORDER BY h.alias_name, h.match_type, h.id DESC
    ),
    conflicts AS (
        SELECT l.id AS last_entry, l.alias_name, l.match_type,
               pg_catalog.row_number() OVER (ORDER BY l.alias_name, l.match_type) AS n
          FROM last AS l
          LEFT JOIN enterprise.company_mapping AS m
            ON m.alias_name = l.alias_name AND m.match_type = l.match_type
         WHERE (m.alias_name IS NOT NULL) <> l.present
            OR (l.present AND (m.canonical_id, m.source, m.confidence, m.eqc_type)
                              IS DISTINCT FROM (l.canonical_id_after, l.source_after, l.confidence_after, l.eqc_type_after))
    )
    SELECT pg_catalog.count(*),
           pg_catalog.string_agg(
               pg_catalog.format('%L (%s): %s', c.alias_name, c.match_type,
                   COALESCE('change sets ' || NULLIF(pg_catalog.array_to_string(ARRAY(
                                SELECT DISTINCT h.change_set
                                  FROM enterprise.company_mapping_history AS h
                                 WHERE h.alias_name = c.alias_name AND h.match_type = c.match_type
                                   AND h.id > c.last_entry
                                 ORDER BY h.change_set), ', '), ''),
                            'a change that was not recorded')),
               '; ' ORDER BY c.n) FILTER (WHERE c.n <= 10)
      INTO _n_conflicts, _conflicts
      FROM conflicts AS c;
    IF _n_conflicts > 0 AND NOT COALESCE(revert_mapping_change_set.force, false) THEN
        RAISE EXCEPTION USING
            ERRCODE = 'CE005',
            MESSAGE = 'mapping change set was changed by later change sets',
            DETAIL  = pg_catalog.format('change_set %s: %s row(s) changed since: %s%s', _target.id, _n_conflicts,
                                        _conflicts, CASE WHEN _n_conflicts > 10 THEN '; ...' ELSE '' END),
            HINT    = 'Revert the later change sets first (newest first), or revert with force => true '
                      '(mappings revert --force) to restore these rows anyway, overwriting the later changes.';
    END IF;

    -- A learned row to bring back whose name another learned row now holds (another spelling of the same
    -- key, learned since): both cannot be, whatever force says.
    SELECT pg_catalog.count(*),
           pg_catalog.string_agg(pg_catalog.format('%L (name): its key %L is now held by learned %L', b.alias_name,
                                                   b.key, b.holder), '; ' ORDER BY b.alias_name)
      INTO _n_conflicts, _conflicts
      FROM (SELECT f.alias_name, f.key, m.alias_name AS holder
              FROM (SELECT DISTINCT ON (h.alias_name, h.match_type)
                           h.alias_name, h.operation, h.source_before,
                           enterprise._mapping_key(h.alias_name, 'name') AS key
                      FROM enterprise.company_mapping_history AS h
                     WHERE h.change_set = revert_mapping_change_set.change_set AND h.match_type = 'name'
                     ORDER BY h.alias_name, h.match_type, h.id) AS f
              JOIN enterprise.company_mapping AS m
                ON m.match_type = 'name' AND m.source <> 'internal' AND m.lookup_key = f.key
               AND m.alias_name <> f.alias_name
             WHERE f.operation <> 'insert' AND f.source_before <> 'internal'
               AND NOT EXISTS (SELECT 1 FROM enterprise.company_mapping_history AS t
                                WHERE t.change_set = revert_mapping_change_set.change_set
                                  AND t.alias_name = m.alias_name AND t.match_type = 'name')) AS b;
    IF _n_conflicts > 0 THEN
        RAISE EXCEPTION USING
            ERRCODE = 'CE005',
            MESSAGE = 'mapping change set was changed by later change sets',
            DETAIL  = pg_catalog.format('change_set %s: %s learned row(s) cannot come back: %s', _target.id,
                                        _n_conflicts, _conflicts),
            HINT    = 'A name has one learned row: revert the change set that learned the other spelling first '
                      '(mappings history names it), or delete that row.';
    END IF;

    _cs := enterprise._open_mapping_change_set(
               'revert',
               pg_catalog.left(pg_catalog.format('revert of %s%s', _target.id, ' (' || _target.label || ')'), 500),
               _target.id);

    -- Rows the change set inserted go away.
    WITH first AS (
        SELECT DISTINCT ON (h.alias_name, h.match_type) h.alias_name, h.match_type, h.operation
          FROM enterprise.company_mapping_history AS h
         WHERE h.change_set = revert_mapping_change_set.change_set
         ORDER BY h.alias_name, h.match_type, h.id
    )
    DELETE FROM enterprise.company_mapping AS m
     USING first AS f
     WHERE m.alias_name = f.alias_name AND m.match_type = f.match_type AND f.operation = 'insert';

    -- Rows it updated or deleted get their values back ...
    WITH first AS (
        SELECT DISTINCT ON (h.alias_name, h.match_type)
               h.alias_name, h.match_type, h.operation, h.canonical_id_before, h.source_before,
               h.confidence_before, h.eqc_type_before, h.updated_at_before
          FROM enterprise.company_mapping_history AS h
         WHERE h.change_set = revert_mapping_change_set.change_set
         ORDER BY h.alias_name, h.match_type, h.id
    )
    UPDATE enterprise.company_mapping AS m
       SET canonical_id = f.canonical_id_before, source = f.source_before, confidence = f.confidence_before,
           eqc_type = f.eqc_type_before, updated_at = f.updated_at_before
      FROM first AS f
     WHERE m.alias_name = f.alias_name AND m.match_type = f.match_type AND f.operation <> 'insert'
       AND (m.canonical_id, m.source, m.confidence, m.eqc_type, m.updated_at)
           IS DISTINCT FROM (f.canonical_id_before, f.source_before, f.confidence_before, f.eqc_type_before,
                             f.updated_at_before);

    -- ... or come back.
    WITH first AS (
        SELECT DISTINCT ON (h.alias_name, h.match_type)
               h.alias_name, h.match_type, h.operation, h.canonical_id_before, h.source_before,
               h.confidence_before, h.eqc_type_before, h.updated_at_before
          FROM enterprise.company_mapping_history AS h
         WHERE h.change_set = revert_mapping_change_set.change_set
         ORDER BY h.alias_name, h.match_type, h.id
    )
    INSERT INTO enterprise.company_mapping
           (alias_name, canonical_id, source, match_type, priority, confidence, eqc_type, updated_at)
    SELECT f.alias_name, f.canonical_id_before, f.source_before, f.match_type,
           CASE f.match_type WHEN 'plan' THEN 1 WHEN 'account' THEN 2 WHEN 'hardcode' THEN 3
                             WHEN 'name' THEN 4 WHEN 'account_name' THEN 5 END,
           f.confidence_before, f.eqc_type_before, f.updated_at_before
      FROM first AS f
     WHERE f.operation <> 'insert'
       AND NOT EXISTS (SELECT 1 FROM enterprise.company_mapping AS m
                        WHERE m.alias_name = f.alias_name AND m.match_type = f.match_type);

    -- The revert's change set is closed: later writes of the transaction get their own.
    PERFORM pg_catalog.set_config('enrichment.change_set', '', true);

    SELECT s.id, s.kind, s.label, s.reverts, s.session_user_name, s.application_name, s.changed_by, s.created_at,
           s.inserted, s.updated, s.deleted
      INTO _result
      FROM enterprise.company_mapping_change_sets AS s
     WHERE s.id = _cs;
    RETURN _result;
END;
$$;

COMMENT ON FUNCTION enterprise.revert_mapping_change_set(bigint, boolean) IS
    'Undoes a change set, all or nothing: rows it inserted are deleted, rows it updated or deleted get their '
    'values back; recorded as a change set of its own (returned). '
    'Errors: CE005 rows changed by later change sets (DETAIL names them; force => true restores them anyway), '
    'or a learned row to bring back whose name another learned row holds now (even with force); '
    'CE006 no such change set.';

REVOKE ALL ON FUNCTION enterprise.revert_mapping_change_set(bigint, boolean) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION enterprise.revert_mapping_change_set(bigint, boolean) TO enrichment_admin;

COMMIT;
