-- upsert_internal_mappings: contract, counts, curated over learned, all-or-nothing errors.
BEGIN;
SELECT plan(29);

-- DETAIL and HINT of the error a statement raises.
CREATE FUNCTION pg_temp.error_detail(statement text) RETURNS text LANGUAGE plpgsql AS $f$
DECLARE _detail text; _hint text;
BEGIN
    EXECUTE statement;
    RETURN NULL;
EXCEPTION WHEN OTHERS THEN
    GET STACKED DIAGNOSTICS _detail = PG_EXCEPTION_DETAIL, _hint = PG_EXCEPTION_HINT;
    RETURN _detail || ' / ' || _hint;
END $f$;

SELECT has_function('enterprise', 'upsert_internal_mappings', ARRAY['text[]', 'text[]', 'text[]', 'boolean', 'text'], 'upsert_internal_mappings(text[], text[], text[], boolean, text) exists');
SELECT function_returns('enterprise', 'upsert_internal_mappings', ARRAY['text[]', 'text[]', 'text[]', 'boolean', 'text'], 'enterprise.mapping_load_result', 'it returns enterprise.mapping_load_result');
SELECT volatility_is('enterprise', 'upsert_internal_mappings', ARRAY['text[]', 'text[]', 'text[]', 'boolean', 'text'], 'volatile', 'it is VOLATILE');
SELECT is_definer('enterprise', 'upsert_internal_mappings', ARRAY['text[]', 'text[]', 'text[]', 'boolean', 'text'], 'it is SECURITY DEFINER');
SELECT function_privs_are('enterprise', 'upsert_internal_mappings', ARRAY['text[]', 'text[]', 'text[]', 'boolean', 'text'], 'public', ARRAY[]::text[], 'PUBLIC cannot load mappings');
SELECT function_privs_are('enterprise', 'upsert_internal_mappings', ARRAY['text[]', 'text[]', 'text[]', 'boolean', 'text'], 'enrichment_reader', ARRAY[]::text[], 'reader cannot load mappings');
SELECT function_privs_are('enterprise', 'upsert_internal_mappings', ARRAY['text[]', 'text[]', 'text[]', 'boolean', 'text'], 'enrichment_worker', ARRAY[]::text[], 'worker cannot load mappings');
SELECT function_privs_are('enterprise', 'upsert_internal_mappings', ARRAY['text[]', 'text[]', 'text[]', 'boolean', 'text'], 'enrichment_admin', ARRAY['EXECUTE'], 'admin can load mappings');

SELECT results_eq($$SELECT inserted, updated, unchanged, replaced FROM enterprise.upsert_internal_mappings(
                      ARRAY['U-PLAN', ' U-ACCT ', '上载公司', '上载账户', 'U-HARD', 'U-PLAN'],
                      ARRAY['500000001', '500000002', '500000003', '500000004', '500000005', '500000001'],
                      ARRAY['plan', 'account', 'name', 'account_name', 'hardcode', 'plan'])$$,
    $$VALUES (5::bigint, 0::bigint, 0::bigint, 0::bigint)$$, 'five new rows (an exact repeat counts once)');
SELECT results_eq($$SELECT alias_name::text, priority, source::text, lookup_key FROM enterprise.company_mapping
                     WHERE canonical_id LIKE '50000000_' ORDER BY priority$$,
    $$VALUES ('U-PLAN', 1, 'internal', 'U-PLAN'), ('U-ACCT', 2, 'internal', 'U-ACCT'), ('U-HARD', 3, 'internal', 'U-HARD'),
             ('上载公司', 4, 'internal', '上载公司'), ('上载账户', 5, 'internal', '上载账户')$$,
    'priorities follow the kind, aliases are trimmed');
SELECT results_eq($$SELECT inserted, updated, unchanged, replaced FROM enterprise.upsert_internal_mappings(
                      ARRAY['U-PLAN', 'U-ACCT'], ARRAY['500000001', '500000099'], ARRAY['plan', 'account'])$$,
    $$VALUES (0::bigint, 1::bigint, 1::bigint, 0::bigint)$$, 'reloading counts unchanged and updated rows');

-- Rows that conflict with curated rows already loaded.
SELECT throws_ok($$SELECT enterprise.upsert_internal_mappings(ARRAY['U-PLAN2', '（已转出）上载公司', '上载公司-已转出'],
                                                              ARRAY['500000020', '500000021', '500000021'], ARRAY['plan', 'name', 'name'])$$,
    '22023', 'an alias conflicts with curated mappings already loaded',
    'another alias with the key of a loaded row and another id is refused');
SELECT is(pg_temp.error_detail($$SELECT enterprise.upsert_internal_mappings(ARRAY['U-PLAN2', '（已转出）上载公司', '上载公司-已转出'],
                                   ARRAY['500000020', '500000021', '500000021'], ARRAY['plan', 'name', 'name'])$$),
    'row 2: alias_name ''（已转出）上载公司'' (match_type name, lookup key ''上载公司'') -> 500000021; already loaded: ''上载公司'' -> 500000003 (2 rows of this load conflict) / Names are compared after normalize_name. Fix the file, or load with replace_conflicting => true (mappings import --replace-conflicting) to replace the rows already loaded.',
    'DETAIL names the first conflicting row, the loaded one, and how many rows conflict');
SELECT is((SELECT count(*)::int FROM enterprise.company_mapping WHERE alias_name IN ('U-PLAN2', '（已转出）上载公司')), 0,
    'nothing of the refused load was written');
SELECT results_eq($$SELECT inserted, updated, unchanged, replaced FROM enterprise.upsert_internal_mappings(ARRAY['（已转出）上载公司', '上载公司-已转出'],
                      ARRAY['500000021', '500000021'], ARRAY['name', 'name'], replace_conflicting => true)$$,
    $$VALUES (2::bigint, 0::bigint, 0::bigint, 1::bigint)$$, 'replace_conflicting: the loaded row is replaced');
SELECT results_eq($$SELECT alias_name::text, canonical_id::text FROM enterprise.company_mapping
                     WHERE lookup_key = '上载公司' AND match_type = 'name' ORDER BY alias_name$$,
    $$VALUES ('上载公司-已转出', '500000021'), ('（已转出）上载公司', '500000021')$$, 'only the new rows hold the key');
SELECT results_eq($$SELECT inserted, updated, unchanged, replaced FROM enterprise.upsert_internal_mappings(ARRAY['上载账户', '上载账户（已注销）'],
                      ARRAY['500000030', '500000030'], ARRAY['account_name', 'account_name'])$$,
    $$VALUES (1::bigint, 1::bigint, 0::bigint, 0::bigint)$$,
    'a row that updates the loaded alias itself, with another alias of the same key beside it, is no conflict');

SELECT enterprise.cache_company_mapping('学来的公司', '500000010');
SELECT enterprise.upsert_internal_mappings(ARRAY['学来的公司'], ARRAY['500000011'], ARRAY['name']);
SELECT results_eq($$SELECT canonical_id::text, source::text FROM enterprise.company_mapping WHERE lookup_key = '学来的公司'$$,
    $$VALUES ('500000011', 'internal')$$, 'a curated row replaces the learned row with the same alias');

SELECT throws_ok($$SELECT enterprise.upsert_internal_mappings(ARRAY['A1', 'A2'], ARRAY['1'], ARRAY['plan', 'plan'])$$,
    '22023', 'upsert_internal_mappings: the input arrays must be non-NULL, one-dimensional and of equal length', 'arrays of different lengths are rejected');
SELECT throws_ok($$SELECT enterprise.upsert_internal_mappings(ARRAY['E-OK', 'E-BAD'], ARRAY['1', '2'], ARRAY['plan', 'planet'])$$,
    '22023', 'invalid match_type', 'an invalid match type is rejected');
SELECT is(pg_temp.error_detail($$SELECT enterprise.upsert_internal_mappings(ARRAY['E-OK', 'E-OK'], ARRAY['1', '2'], ARRAY['plan', 'plan'])$$),
    'rows 1, 2: alias_name ''E-OK'' (match_type plan, lookup key ''E-OK'') -> 1, 2 / Keep one company id per alias and match_type; names are compared after normalize_name, so spellings that differ only by spaces, brackets or status words (已注销, 已转出) are one alias.',
    'a duplicate alias names both rows');
SELECT is(pg_temp.error_detail($$SELECT enterprise.upsert_internal_mappings(ARRAY['E-OK', '丙公司', 'E-2', ' 丙公司（已注销）'],
                                   ARRAY['1', '111111111', '2', '222222222'], ARRAY['plan', 'name', 'plan', 'name'])$$),
    'rows 2, 4: alias_name ''丙公司'', ''丙公司（已注销）'' (match_type name, lookup key ''丙公司'') -> 111111111, 222222222 / Keep one company id per alias and match_type; names are compared after normalize_name, so spellings that differ only by spaces, brackets or status words (已注销, 已转出) are one alias.',
    'two aliases of one kind with one lookup key and different ids are rejected, naming both rows');
SELECT is((SELECT inserted::int FROM enterprise.upsert_internal_mappings(ARRAY['丁公司', '丁公司（已注销）', '丁公司'],
                                   ARRAY['333333333', '333333333', '444444444'], ARRAY['name', 'name', 'account_name'])), 3,
    'one lookup key with one id is fine, and so is the same key in another kind');
SELECT is(pg_temp.error_detail($$SELECT enterprise.upsert_internal_mappings(ARRAY['E-OK', 'E-BAD'], ARRAY['1', '2'], ARRAY['plan', 'planet'])$$),
    'row 2: alias_name ''E-BAD'' has match_type ''planet'' / match_type is one of plan, account, hardcode, name, account_name.',
    'DETAIL names the row and its values, HINT says how to fix it');
SELECT throws_ok($$SELECT enterprise.upsert_internal_mappings(ARRAY['E-OK', '—'], ARRAY['1', '2'], ARRAY['plan', 'name'])$$,
    '22023', 'alias_name has an empty lookup key', 'a name alias with an empty key is rejected');
SELECT throws_ok($$SELECT enterprise.upsert_internal_mappings(ARRAY['E-OK', 'E-LONG'], ARRAY['1', repeat('9', 51)], ARRAY['plan', 'plan'])$$,
    '22001', 'canonical_id is longer than 50 characters', 'an oversized canonical id is rejected');
SELECT throws_ok($$SELECT enterprise.upsert_internal_mappings(ARRAY['E-OK', 'E-OK'], ARRAY['1', '2'], ARRAY['plan', 'plan'])$$,
    '22023', 'the same alias is mapped to different company ids', 'one alias with two ids is rejected');
SELECT throws_ok($$SELECT enterprise.upsert_internal_mappings(ARRAY['E-OK', NULL], ARRAY['1', '2'], ARRAY['plan', 'plan'])$$,
    '22023', 'alias_name has an empty lookup key', 'a NULL alias is rejected');
SELECT is((SELECT count(*) FROM enterprise.company_mapping WHERE alias_name LIKE 'E-%'), 0::bigint,
    'a rejected load wrote nothing, not even its good rows');

SELECT * FROM finish();
ROLLBACK;
