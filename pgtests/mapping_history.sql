-- Mapping history and undo: the history trigger on every path (manual SQL, the worker's settle batch,
-- cache_company_mapping, loads, truncate), mapping_history, mapping_change_sets and revert_mapping_change_set
-- (contracts, privileges per role and PUBLIC, errors, undo and the undo of the undo).
--
-- The file runs in one transaction, so one change set per transaction would make one change set of it all:
-- pg_temp.next_transaction() forgets the current change set, as a new transaction would.
BEGIN;
SELECT plan(75);

CREATE FUNCTION pg_temp.next_transaction() RETURNS void LANGUAGE sql AS $$
    SELECT set_config('enrichment.change_set', '', true) $$;
CREATE FUNCTION pg_temp.cs() RETURNS bigint LANGUAGE sql AS $$
    SELECT max(id) FROM enterprise.company_mapping_change_sets $$;
CREATE FUNCTION pg_temp.error_detail(statement text) RETURNS text LANGUAGE plpgsql AS $f$
DECLARE _detail text; _hint text;
BEGIN
    EXECUTE statement;
    RETURN NULL;
EXCEPTION WHEN OTHERS THEN
    GET STACKED DIAGNOSTICS _detail = PG_EXCEPTION_DETAIL, _hint = PG_EXCEPTION_HINT;
    RETURN _detail || ' / ' || _hint;
END $f$;
CREATE ROLE mh_nobody;

-- ------------------------------------------------------------------------------------------- contracts
SELECT has_function('enterprise', 'mapping_history', ARRAY['text', 'text'], 'mapping_history(text, text) exists');
SELECT function_returns('enterprise', 'mapping_history', ARRAY['text', 'text'], 'setof enterprise.company_mapping_history',
                        'it returns SETOF enterprise.company_mapping_history');
SELECT volatility_is('enterprise', 'mapping_history', ARRAY['text', 'text'], 'stable', 'it is STABLE');
SELECT is_definer('enterprise', 'mapping_history', ARRAY['text', 'text'], 'it is SECURITY DEFINER');
SELECT function_privs_are('enterprise', 'mapping_history', ARRAY['text', 'text'], 'public', ARRAY[]::text[],
                          'PUBLIC cannot read the history');
SELECT function_privs_are('enterprise', 'mapping_history', ARRAY['text', 'text'], 'enrichment_reader', ARRAY['EXECUTE'],
                          'a reader can read the history');

SELECT has_function('enterprise', 'mapping_change_sets', ARRAY['integer'], 'mapping_change_sets(integer) exists');
SELECT function_returns('enterprise', 'mapping_change_sets', ARRAY['integer'], 'setof enterprise.mapping_change_set',
                        'it returns SETOF enterprise.mapping_change_set');
SELECT volatility_is('enterprise', 'mapping_change_sets', ARRAY['integer'], 'stable', 'it is STABLE');
SELECT is_definer('enterprise', 'mapping_change_sets', ARRAY['integer'], 'it is SECURITY DEFINER');
SELECT function_privs_are('enterprise', 'mapping_change_sets', ARRAY['integer'], 'public', ARRAY[]::text[],
                          'PUBLIC cannot list change sets');
SELECT function_privs_are('enterprise', 'mapping_change_sets', ARRAY['integer'], 'enrichment_reader', ARRAY['EXECUTE'],
                          'a reader can list change sets');

SELECT has_function('enterprise', 'revert_mapping_change_set', ARRAY['bigint', 'boolean'],
                    'revert_mapping_change_set(bigint, boolean) exists');
SELECT function_returns('enterprise', 'revert_mapping_change_set', ARRAY['bigint', 'boolean'], 'enterprise.mapping_change_set',
                        'it returns enterprise.mapping_change_set');
SELECT volatility_is('enterprise', 'revert_mapping_change_set', ARRAY['bigint', 'boolean'], 'volatile', 'it is VOLATILE');
SELECT is_definer('enterprise', 'revert_mapping_change_set', ARRAY['bigint', 'boolean'], 'it is SECURITY DEFINER');
SELECT function_privs_are('enterprise', 'revert_mapping_change_set', ARRAY['bigint', 'boolean'], 'public', ARRAY[]::text[],
                          'PUBLIC cannot revert');
SELECT function_privs_are('enterprise', 'revert_mapping_change_set', ARRAY['bigint', 'boolean'], 'enrichment_reader',
                          ARRAY[]::text[], 'a reader cannot revert');
SELECT function_privs_are('enterprise', 'revert_mapping_change_set', ARRAY['bigint', 'boolean'], 'enrichment_worker',
                          ARRAY[]::text[], 'a worker cannot revert');
SELECT function_privs_are('enterprise', 'revert_mapping_change_set', ARRAY['bigint', 'boolean'], 'enrichment_admin',
                          ARRAY['EXECUTE'], 'an admin can revert');

SELECT is_definer('enterprise', '_record_mapping_history', ARRAY[]::text[],
                  'the history trigger function is SECURITY DEFINER (every role''s writes are recorded)');
SELECT is((SELECT array_agg(tgname::text ORDER BY tgname) FROM pg_trigger
            WHERE tgrelid = 'enterprise.company_mapping'::regclass AND NOT tgisinternal AND tgenabled = 'O'
              AND tgfoid = 'enterprise._record_mapping_history()'::regprocedure),
          ARRAY['company_mapping_history_delete', 'company_mapping_history_insert', 'company_mapping_history_truncate',
                'company_mapping_history_update'],
          'company_mapping has the four history triggers, enabled');
SELECT table_privs_are('enterprise', 'company_mapping_history', 'enrichment_admin', ARRAY[]::text[],
                       'nobody (not even an admin) reads or writes the history table directly');
SELECT table_privs_are('enterprise', 'company_mapping_change_sets', 'enrichment_admin', ARRAY[]::text[],
                       'nor the change sets table');

-- ------------------------------------------------------------------------------------------ manual SQL
SELECT pg_temp.next_transaction();
SET LOCAL enrichment.changed_by = 'dba alice';
SET LOCAL application_name = 'psql-mh';
SET LOCAL enrichment.change_set_label = 'fix by hand';
INSERT INTO enterprise.company_mapping (alias_name, canonical_id, source, match_type, priority)
VALUES ('MH-MANUAL', '810000001', 'internal', 'plan', 1), ('MH-MANUAL2', '810000002', 'internal', 'plan', 1);
SELECT pg_temp.cs() AS manual_cs \gset
UPDATE enterprise.company_mapping SET canonical_id = '810000011' WHERE alias_name = 'MH-MANUAL';
UPDATE enterprise.company_mapping SET alias_name = 'MH-MANUAL3' WHERE alias_name = 'MH-MANUAL2';
DELETE FROM enterprise.company_mapping WHERE alias_name = 'MH-MANUAL3';
SELECT results_eq($$SELECT operation, alias_name::text, canonical_id_before::text, canonical_id_after::text,
                           source_before::text, source_after::text, confidence_before, confidence_after
                      FROM enterprise.company_mapping_history WHERE alias_name LIKE 'MH-MANUAL%' ORDER BY id$$,
    $$VALUES ('insert', 'MH-MANUAL', NULL, '810000001', NULL, 'internal', NULL::numeric, NULL::numeric),
             ('insert', 'MH-MANUAL2', NULL, '810000002', NULL, 'internal', NULL, NULL),
             ('update', 'MH-MANUAL', '810000001', '810000011', 'internal', 'internal', NULL, NULL),
             ('delete', 'MH-MANUAL2', '810000002', NULL, 'internal', NULL, NULL, NULL),
             ('insert', 'MH-MANUAL3', NULL, '810000002', NULL, 'internal', NULL, NULL),
             ('delete', 'MH-MANUAL3', '810000002', NULL, 'internal', NULL, NULL, NULL)$$,
    'manual insert, update, rename (delete + insert) and delete are recorded, values before and after');
SELECT is((SELECT count(DISTINCT change_set)::int FROM enterprise.company_mapping_history WHERE change_set = :manual_cs
              AND alias_name LIKE 'MH-MANUAL%'), 1, 'one transaction of manual SQL is one change set');
SELECT results_eq(format($$SELECT kind, label, session_user_name, application_name, changed_by, inserted, updated, deleted
                             FROM enterprise.mapping_change_sets(1) WHERE id = %s$$, :manual_cs),
    format($$VALUES ('sql', 'fix by hand', %L, 'psql-mh', 'dba alice', 3::bigint, 1::bigint, 2::bigint)$$, session_user),
    'its change set: kind sql, the label setting, who (session user, application_name, enrichment.changed_by), counts');
SELECT is((SELECT count(*)::int FROM enterprise.company_mapping_history
            WHERE change_set = :manual_cs AND session_user_name = session_user::text AND application_name = 'psql-mh'
              AND changed_by = 'dba alice'), 6, 'each entry records who too');
SELECT is((SELECT count(*)::int FROM enterprise.company_mapping_history WHERE alias_name = 'MH-NOOP'), 0,
          'fixture: no history for MH-NOOP yet');
UPDATE enterprise.company_mapping SET canonical_id = canonical_id WHERE alias_name = 'MH-MANUAL';
SELECT is((SELECT count(*)::int FROM enterprise.mapping_history('MH-MANUAL')), 2,
          'an UPDATE that changes nothing records nothing');

-- a forged setting naming a change set of another transaction is ignored
SELECT pg_temp.next_transaction();
UPDATE enterprise.company_mapping_change_sets SET txid = '1'::xid8 WHERE id = :manual_cs;
SELECT set_config('enrichment.change_set', :'manual_cs', true);
INSERT INTO enterprise.company_mapping (alias_name, canonical_id, source, match_type, priority)
VALUES ('MH-FORGED', '810000003', 'internal', 'plan', 1);
SELECT isnt((SELECT change_set FROM enterprise.mapping_history('MH-FORGED')), :manual_cs::bigint,
            'a setting naming another transaction''s change set is ignored: a new change set is opened');

-- nobody writes history directly, whatever their role
SET LOCAL ROLE enrichment_admin;
SELECT throws_ok($$INSERT INTO enterprise.company_mapping_history (change_set, operation, alias_name, match_type,
                       canonical_id_after, changed_at, session_user_name) VALUES (1, 'insert', 'x', 'plan', '1', now(), 'x')$$,
                 '42501', NULL, 'an admin cannot write history');
SELECT throws_ok($$DELETE FROM enterprise.company_mapping_history$$, '42501', NULL, 'nor delete it');
RESET ROLE;

-- -------------------------------------------------------------------------------- the worker's paths
SELECT pg_temp.next_transaction();
SET LOCAL ROLE enrichment_worker;
SELECT is(enterprise.cache_company_mapping('历史学习公司', '820000001'), 'inserted', 'fixture: a worker learns a name');
RESET ROLE;
SELECT results_eq($$SELECT operation, canonical_id_after::text, source_after::text FROM enterprise.mapping_history('历史学习公司')$$,
    $$VALUES ('insert', '820000001', 'EQC')$$, 'cache_company_mapping is recorded');

SELECT pg_temp.next_transaction();
DELETE FROM enterprise.lookup_requests;
SELECT enterprise.enqueue_lookup(n) FROM unnest(ARRAY['历史批量甲公司', '历史批量乙公司', '历史学习公司']) n;
SELECT count(*) FROM enterprise.claim_lookups(3, 'mh-w');
SELECT is((SELECT count(*)::int FROM enterprise.complete_lookups('mh-w',
              ARRAY(SELECT id FROM enterprise.lookup_requests ORDER BY normalized_name),
              ARRAY(SELECT CASE normalized_name WHEN '历史批量甲公司' THEN '830000001' WHEN '历史批量乙公司' THEN '830000002'
                                                ELSE '830000003' END
                      FROM enterprise.lookup_requests ORDER BY normalized_name))),
          3, 'fixture: a settle batch of three answers');
SELECT results_eq($$SELECT h.alias_name::text, h.operation, h.canonical_id_before::text, h.canonical_id_after::text
                      FROM enterprise.company_mapping_history AS h
                     WHERE h.change_set = pg_temp.cs() ORDER BY h.canonical_id_after$$,
    $$VALUES ('历史批量甲公司', 'insert', NULL, '830000001'), ('历史批量乙公司', 'insert', NULL, '830000002'),
             ('历史学习公司', 'update', '820000001', '830000003')$$,
    'a settle batch is one change set with every learned row it wrote');
SELECT results_eq($$SELECT kind, inserted, updated, deleted FROM enterprise.mapping_change_sets(1)$$,
    $$VALUES ('sql', 2::bigint, 1::bigint, 0::bigint)$$, 'counted');

-- ------------------------------------------------------------------------------------------------ loads
SELECT pg_temp.next_transaction();
SELECT change_set AS load_a FROM enterprise.upsert_internal_mappings(
    ARRAY['MH-PLAN', 'MH-ACCT', '历史学习公司'], ARRAY['840000001', '840000002', '840000003'],
    ARRAY['plan', 'account', 'name'], label => 'a.csv') \gset
SELECT results_eq(format($$SELECT kind, label, inserted, updated, deleted FROM enterprise.mapping_change_sets(5) WHERE id = %s$$, :load_a),
    $$VALUES ('import', 'a.csv', 2::bigint, 1::bigint, 0::bigint)$$,
    'a load is a change set of kind import with its label and counts; its id is in the result');
SELECT results_eq($$SELECT operation, source_before::text, source_after::text, confidence_after
                      FROM enterprise.mapping_history('历史学习公司', 'name') ORDER BY id DESC LIMIT 1$$,
    $$VALUES ('update', 'EQC', 'internal', 1.00)$$, 'a curated row over a learned one is recorded as its update');
SELECT change_set AS load_b FROM enterprise.upsert_internal_mappings(
    ARRAY['MH-PLAN', 'MH-PLAN2'], ARRAY['850000001', '850000002'], ARRAY['plan', 'plan'], label => 'b.csv') \gset
SELECT isnt(:load_b::bigint, :load_a::bigint, 'two loads in one transaction are two change sets');
SELECT change_set AS load_c FROM enterprise.upsert_internal_mappings(
    ARRAY['MH-ACCT '], ARRAY['840000002'], ARRAY['account']) \gset
SELECT results_eq(format($$SELECT label, inserted, updated, deleted FROM enterprise.mapping_change_sets(5) WHERE id = %s$$, :load_c),
    $$VALUES (NULL::text, 0::bigint, 0::bigint, 0::bigint)$$, 'a load that changes nothing still has its (empty) change set');
SELECT throws_ok($$SELECT enterprise.upsert_internal_mappings(ARRAY['x'], ARRAY['1'], ARRAY['plan'], label => repeat('l', 501))$$,
                 '22001', 'upsert_internal_mappings: label is longer than 500 characters', 'a label over 500 characters is refused');

-- ---------------------------------------------------------------------------------------- mapping_history
SELECT results_eq($$SELECT change_set, operation, canonical_id_after::text FROM enterprise.mapping_history(' MH-PLAN ')$$,
    format($$VALUES (%s::bigint, 'insert', '840000001'), (%s::bigint, 'update', '850000001')$$, :load_a, :load_b),
    'mapping_history: oldest first, the alias trimmed as the table stores it');
SELECT is((SELECT count(*)::int FROM enterprise.mapping_history('MH-PLAN', 'account')), 0, 'match_type filters');
SELECT is((SELECT count(*)::int FROM enterprise.mapping_history('mh-plan')), 0,
          'aliases match as stored, not by normalized key');
SELECT throws_ok($$SELECT * FROM enterprise.mapping_history(NULL)$$, '22023',
                 'mapping_history: alias_name must not be NULL', 'a NULL alias is refused');
SELECT throws_ok($$SELECT * FROM enterprise.mapping_history('MH-PLAN', 'planet')$$, '22023',
                 'mapping_history: invalid match_type', 'an unknown match_type is refused');

-- ----------------------------------------------------------------------------------- mapping_change_sets
SELECT results_eq($$SELECT id FROM enterprise.mapping_change_sets(2)$$,
    format($$VALUES (%s::bigint), (%s::bigint)$$, :load_c, :load_b), 'mapping_change_sets: newest first, max_rows of them');
SELECT throws_ok($$SELECT * FROM enterprise.mapping_change_sets(0)$$, '22023',
                 'mapping_change_sets: max_rows must be between 1 and 100000', 'max_rows 0 is refused');

-- ------------------------------------------------------------------------------------------------ revert
SELECT throws_ok($$SELECT enterprise.revert_mapping_change_set(-1)$$, 'CE006', 'mapping change set does not exist',
                 'an unknown change set: CE006');
SELECT throws_ok(format('SELECT enterprise.revert_mapping_change_set(%s)', :load_a), 'CE005',
                 'mapping change set was changed by later change sets', 'A under B is refused: CE005');
SELECT is(pg_temp.error_detail(format('SELECT enterprise.revert_mapping_change_set(%s)', :load_a)),
          format('change_set %s: 1 row(s) changed since: ''MH-PLAN'' (plan): change sets %s / Revert the later change sets first (newest first), or revert with force => true (mappings revert --force) to restore these rows anyway, overwriting the later changes.',
                 :load_a, :load_b),
          'DETAIL names the row, its kind and the later change set; HINT says force');

SET LOCAL ROLE enrichment_reader;
SELECT throws_ok(format('SELECT enterprise.revert_mapping_change_set(%s)', :load_b), '42501', NULL,
                 'a reader cannot revert');
SELECT is((SELECT count(*)::int FROM enterprise.mapping_history('MH-PLAN')), 2, 'but can read the history');
SELECT ok((SELECT count(*) FROM enterprise.mapping_change_sets()) >= 5, 'and list change sets');
RESET ROLE;
SET LOCAL ROLE mh_nobody;
SELECT throws_ok($$SELECT * FROM enterprise.mapping_history('MH-PLAN')$$, '42501', NULL, 'PUBLIC cannot read the history');
SELECT throws_ok($$SELECT * FROM enterprise.mapping_change_sets()$$, '42501', NULL, 'PUBLIC cannot list change sets');
SELECT throws_ok($$SELECT enterprise.revert_mapping_change_set(1)$$, '42501', NULL, 'PUBLIC cannot revert');
RESET ROLE;

SET LOCAL ROLE enrichment_admin;
SELECT id AS revert_b FROM enterprise.revert_mapping_change_set(:load_b) \gset
RESET ROLE;
SELECT results_eq(format($$SELECT kind, reverts, label, inserted, updated, deleted FROM enterprise.mapping_change_sets(1) WHERE id = %s$$, :revert_b),
    format($$VALUES ('revert', %s::bigint, 'revert of %s (b.csv)', 0::bigint, 1::bigint, 1::bigint)$$, :load_b, :load_b),
    'an admin reverts B: a change set of kind revert, that names B');
SELECT results_eq($$SELECT alias_name::text, canonical_id::text FROM enterprise.company_mapping WHERE alias_name LIKE 'MH-PLAN%'$$,
    $$VALUES ('MH-PLAN', '840000001')$$, 'B''s update is undone and its insert is gone');
SELECT lives_ok(format('SELECT enterprise.revert_mapping_change_set(%s)', :load_a), 'then A can be reverted (B''s change is undone)');
SELECT results_eq($$SELECT alias_name::text, canonical_id::text, source::text, confidence, eqc_type
                      FROM enterprise.company_mapping WHERE alias_name IN ('MH-PLAN', 'MH-ACCT', '历史学习公司')$$,
    $$VALUES ('历史学习公司', '830000003', 'EQC', NULL::numeric, NULL::text)$$,
    'back to before A: its rows are gone and the learned row it overwrote is back, as it was');
SELECT is((SELECT updated_at FROM enterprise.company_mapping WHERE alias_name = '历史学习公司'),
          (SELECT updated_at_after FROM enterprise.company_mapping_history WHERE alias_name = '历史学习公司'
               AND operation = 'update' ORDER BY id LIMIT 1),
          'with its updated_at');
SELECT throws_ok(format('SELECT enterprise.revert_mapping_change_set(%s)', :load_a), 'CE005', NULL,
                 'reverting A twice is refused: the revert changed its rows since');
SELECT lives_ok(format('SELECT enterprise.revert_mapping_change_set(%s)', pg_temp.cs()), 'the undo can be undone');
SELECT results_eq($$SELECT alias_name::text, canonical_id::text, source::text FROM enterprise.company_mapping
                     WHERE alias_name IN ('MH-PLAN', 'MH-ACCT', '历史学习公司') ORDER BY alias_name$$,
    $$VALUES ('MH-ACCT', '840000002', 'internal'), ('MH-PLAN', '840000001', 'internal'), ('历史学习公司', '840000003', 'internal')$$,
    'A is back');

-- force: B again over A, then A reverted by force
SELECT change_set AS load_d FROM enterprise.upsert_internal_mappings(ARRAY['MH-ACCT'], ARRAY['860000002'], ARRAY['account']) \gset
SELECT throws_ok(format('SELECT enterprise.revert_mapping_change_set(%s)', pg_temp.cs() - 1), 'CE005', NULL,
                 'the re-done A under D is refused');
SELECT lives_ok(format('SELECT enterprise.revert_mapping_change_set(%s, force => true)', pg_temp.cs() - 1),
                'with force it is reverted anyway');
SELECT is((SELECT count(*)::int FROM enterprise.company_mapping WHERE alias_name IN ('MH-PLAN', 'MH-ACCT')), 0,
          'force restored the rows to before A, overwriting D');

-- a learned row deleted by hand cannot come back over another spelling of its name learned since
SELECT pg_temp.next_transaction();
DELETE FROM enterprise.company_mapping WHERE alias_name = '历史学习公司';
SELECT pg_temp.cs() AS deleted_by_hand \gset
SELECT pg_temp.next_transaction();
SELECT enterprise.cache_company_mapping('历史学习公司（已注销）', '870000001');
SELECT throws_ok(format('SELECT enterprise.revert_mapping_change_set(%s, force => true)', :deleted_by_hand), 'CE005',
                 'mapping change set was changed by later change sets',
                 'a learned row whose name another learned row holds now is refused, even with force');
SELECT is(pg_temp.error_detail(format('SELECT enterprise.revert_mapping_change_set(%s)', :deleted_by_hand)),
          format('change_set %s: 1 learned row(s) cannot come back: ''历史学习公司'' (name): its key ''历史学习公司'' is now held by learned ''历史学习公司（已注销）'' / A name has one learned row: revert the change set that learned the other spelling first (mappings history names it), or delete that row.', :deleted_by_hand),
          'DETAIL names the row and the one holding its name');

-- truncate: every row is recorded as deleted, and comes back with a revert
SELECT pg_temp.next_transaction();
SELECT count(*) AS rows_before FROM enterprise.company_mapping \gset
TRUNCATE enterprise.company_mapping;
SELECT results_eq($$SELECT kind, deleted FROM enterprise.mapping_change_sets(1)$$,
    format($$VALUES ('sql', %s::bigint)$$, :rows_before), 'a truncate is recorded as the delete of every row');
SELECT lives_ok(format('SELECT enterprise.revert_mapping_change_set(%s)', pg_temp.cs()), 'and reverted');
SELECT is((SELECT count(*)::int FROM enterprise.company_mapping), :rows_before, 'every row is back');

SELECT * FROM finish();
ROLLBACK;
