-- resolve_company_id: contract, each priority step, curated beats EQC,
-- blank handling, pending lookups and TEMP ids.
BEGIN;
SELECT plan(43);

SELECT has_function('enterprise', 'resolve_company_id', ARRAY['text', 'text', 'text', 'text'], 'resolve_company_id(text, text, text, text) exists');
SELECT function_returns('enterprise', 'resolve_company_id', ARRAY['text', 'text', 'text', 'text'], 'enterprise.company_id_result', 'it returns enterprise.company_id_result');
SELECT volatility_is('enterprise', 'resolve_company_id', ARRAY['text', 'text', 'text', 'text'], 'volatile', 'it is VOLATILE (it may mint TEMP ids)');
SELECT isnt_definer('enterprise', 'resolve_company_id', ARRAY['text', 'text', 'text', 'text'], 'it runs as its caller (resolve_company_ids does the writing)');
SELECT function_lang_is('enterprise', 'resolve_company_id', ARRAY['text', 'text', 'text', 'text'], 'plpgsql',
    'it is plpgsql (since 0.5.3): its statement is planned once per session, where a SQL function''s body is planned on every call');
SELECT function_privs_are('enterprise', 'resolve_company_id', ARRAY['text', 'text', 'text', 'text'], 'public', ARRAY[]::text[], 'PUBLIC cannot resolve');
SELECT function_privs_are('enterprise', 'resolve_company_id', ARRAY['text', 'text', 'text', 'text'], 'enrichment_reader', ARRAY['EXECUTE'], 'reader can resolve');
SELECT function_privs_are('enterprise', 'resolve_company_id', ARRAY['text', 'text', 'text', 'text'], 'enrichment_worker', ARRAY['EXECUTE'], 'worker can resolve');
SELECT function_privs_are('enterprise', 'resolve_company_id', ARRAY['text', 'text', 'text', 'text'], 'enrichment_admin', ARRAY['EXECUTE'], 'admin can resolve');
SELECT is(
    (SELECT array_agg(p.parameter_name::text ORDER BY p.ordinal_position)
       FROM information_schema.parameters p
       JOIN information_schema.routines r USING (specific_schema, specific_name)
      WHERE r.routine_schema = 'enterprise' AND r.routine_name = 'resolve_company_id'),
    ARRAY['plan_code', 'customer_name', 'account_name', 'account_number'],
    'parameter names are the public API');

-- Fixture: one curated mapping of each kind, plus an EQC-learned name.
SELECT enterprise.upsert_internal_mappings(
    ARRAY['T-PLAN', 'T-ACCT', 'T-HARD', '测试客户有限公司', '测试账户名称', 'T-BOTH', 'T-BOTH'],
    ARRAY['100000001', '100000002', '100000003', '100000004', '100000005', '100000006', '100000007'],
    ARRAY['plan', 'account', 'hardcode', 'name', 'account_name', 'plan', 'hardcode']);
SELECT enterprise.cache_company_mapping('学到的公司', '200000001');

-- Each priority step on its own.
SELECT results_eq($$SELECT company_id, status, source, match_type FROM enterprise.resolve_company_id(plan_code => 'T-PLAN')$$,
    $$VALUES ('100000001', 'success_internal', 'plan', 'plan')$$, 'plan code hits a plan mapping');
SELECT results_eq($$SELECT company_id, status, source, match_type FROM enterprise.resolve_company_id(account_number => 'T-ACCT')$$,
    $$VALUES ('100000002', 'success_internal', 'account', 'account')$$, 'account number hits an account mapping');
SELECT results_eq($$SELECT company_id, status, source, match_type FROM enterprise.resolve_company_id(plan_code => 'T-HARD')$$,
    $$VALUES ('100000003', 'success_internal', 'hardcode', 'hardcode')$$, 'plan code hits a hardcode mapping');
SELECT results_eq($$SELECT company_id, status, source, match_type FROM enterprise.resolve_company_id(customer_name => '测试客户有限公司')$$,
    $$VALUES ('100000004', 'success_internal', 'name', 'name')$$, 'customer name hits a name mapping');
SELECT results_eq($$SELECT company_id, status, source, match_type FROM enterprise.resolve_company_id(account_name => '测试账户名称')$$,
    $$VALUES ('100000005', 'success_internal', 'account_name', 'account_name')$$, 'account name hits an account_name mapping');
SELECT results_eq($$SELECT company_id, status, source, match_type FROM enterprise.resolve_company_id(customer_name => '学到的公司')$$,
    $$VALUES ('200000001', 'success_external', 'EQC', 'name')$$, 'a learned name resolves as success_external from EQC');
SELECT is((enterprise.resolve_company_id(plan_code => 'FP0003')).company_id, '610081428', 'the old hard-coded overrides are deployed as hardcode rows');

-- Priorities between kinds.
SELECT is((enterprise.resolve_company_id(plan_code => 'T-PLAN', account_number => 'T-ACCT', customer_name => '测试客户有限公司')).company_id,
    '100000001', 'plan beats account and name');
SELECT is((enterprise.resolve_company_id(account_number => 'T-ACCT', customer_name => '测试客户有限公司')).company_id,
    '100000002', 'account beats name');
SELECT is((enterprise.resolve_company_id(plan_code => 'T-BOTH')).company_id, '100000006', 'plan beats hardcode for the same code');
SELECT is((enterprise.resolve_company_id(plan_code => 'T-HARD', customer_name => '测试客户有限公司')).company_id,
    '100000003', 'hardcode beats name');
SELECT is((enterprise.resolve_company_id(customer_name => '测试客户有限公司', account_name => '测试账户名称')).company_id,
    '100000004', 'name beats account_name');
SELECT is((enterprise.resolve_company_id(customer_name => '学到的公司', account_name => '测试账户名称')).company_id,
    '100000005', 'a curated account_name beats a learned name');
SELECT is((enterprise.resolve_company_id(plan_code => 'NO-SUCH', customer_name => '测试客户有限公司')).company_id,
    '100000004', 'an unknown plan code falls through to the name');

-- Names are compared by their normalized key.
SELECT is((enterprise.resolve_company_id(customer_name => ' 测试客户有限公司（已转出） ')).company_id,
    '100000004', 'a decorated, spaced name hits the curated mapping');
SELECT is((enterprise.resolve_company_id(account_name => '「测试账户名称」')).company_id,
    '100000005', 'account names are normalized too');
SELECT is((enterprise.resolve_company_id(plan_code => '  T-PLAN ')).company_id,
    '100000001', 'codes are compared trimmed');

-- Curated beats EQC: a learned row for a curated name is never used, never written.
SELECT is(enterprise.cache_company_mapping('测试客户有限公司-注销', '999999999'), 'skipped_curated',
    'caching a name that has a curated mapping is skipped');
SELECT results_eq($$SELECT company_id, status FROM enterprise.resolve_company_id(customer_name => '测试客户有限公司')$$,
    $$VALUES ('100000004', 'success_internal')$$, 'the curated name still wins');
INSERT INTO enterprise.company_mapping (alias_name, canonical_id, source, match_type, priority)
VALUES ('测试客户有限公司（已转出）', '888888888', 'EQC', 'name', 4);
SELECT is((enterprise.resolve_company_id(customer_name => '测试客户有限公司')).company_id, '100000004',
    'even a learned row with the same key inserted behind the functions'' back is not preferred');

-- Pending lookups: a non-empty name key that nothing maps.
SELECT results_eq($$SELECT company_id, status, source, match_type, temp_id FROM enterprise.resolve_company_id(customer_name => '没人认识的公司')$$,
    $$VALUES (NULL::text, 'pending_lookup', 'queued', NULL::text, NULL::text)$$, 'an unknown customer name is pending_lookup');
SELECT is((enterprise.resolve_company_id(customer_name => '没人认识的公司')).request_id,
    (SELECT id FROM enterprise.lookup_requests WHERE normalized_name = '没人认识的公司' AND status = 'pending'),
    'the pending result carries the id of the queued lookup request');

-- Blank strings count as absent; placeholders and decorations alone are no name.
SELECT is((enterprise.resolve_company_id(plan_code => '   ', customer_name => '测试客户有限公司')).company_id,
    '100000004', 'a blank plan code is ignored');
SELECT is((enterprise.resolve_company_id(customer_name => 'N/A', plan_code => 'T-NONAME')).status, 'temp_assigned',
    'a placeholder customer name counts as no name');
SELECT is((enterprise.resolve_company_id(customer_name => '（已转出）', plan_code => 'T-NONAME')).status, 'temp_assigned',
    'a name that is only a decoration counts as no name');

-- TEMP ids.
SELECT matches((enterprise.resolve_company_id(plan_code => 'T-NONAME')).company_id, '^TEMP_[0-9]{6,}$',
    'a record without a customer name gets a TEMP_ id');
SELECT results_eq($$SELECT company_id = temp_id, status, source, match_type FROM enterprise.resolve_company_id(account_number => 'T-NONAME-2')$$,
    $$VALUES (true, 'temp_assigned', 'generated', NULL::text)$$, 'TEMP result shape: company_id = temp_id, source generated');
SELECT is((enterprise.resolve_company_id(plan_code => 'T-NONAME')).temp_id,
          (enterprise.resolve_company_id(plan_code => ' T-NONAME ', customer_name => '  ')).temp_id,
    'the same record (blank-insensitive) gets the same TEMP id again');
SELECT isnt((enterprise.resolve_company_id(plan_code => 'T-NONAME')).temp_id,
            (enterprise.resolve_company_id(account_number => 'T-NONAME')).temp_id,
    'a plan code and an account number with the same text are different keys');
SELECT isnt((enterprise.resolve_company_id()).temp_id, (enterprise.resolve_company_id()).temp_id,
    'a record with no field at all gets a fresh TEMP id each time');
SELECT is((SELECT count(*) FROM enterprise.temp_id_assignments WHERE temp_key LIKE 'record%T-NONAME%'), 3::bigint,
    'keyed TEMP ids are remembered once per key');

SELECT is((enterprise.resolve_company_id(plan_code => (SELECT string_agg(chr(19968 + (i * 7919) % 20000), '')
                                                          FROM generate_series(1, 10000) i))).status,
    'temp_assigned', 'a 10,000-character plan code that does not compress still gets a TEMP id (its key is shortened)');

-- The same answer as the batch function, record by record (a record with no field at all is left out: it gets a
-- fresh TEMP id on every call).
SELECT results_eq(
    $$SELECT s.company_id, s.status, s.source, s.match_type, s.temp_id, s.request_id
        FROM (VALUES (1, 'T-PLAN', NULL, NULL, NULL), (2, NULL, ' 测试客户有限公司（已转出） ', NULL, 'T-ACCT'),
                     (3, NULL, '学到的公司', '测试账户名称', NULL), (4, NULL, '没人认识的公司', NULL, NULL),
                     (5, 'T-NONAME', '  ', NULL, NULL), (6, 'NO-SUCH', '测试客户有限公司', NULL, NULL))
             AS r(i, p, c, a, n)
       CROSS JOIN LATERAL enterprise.resolve_company_id(r.p, r.c, r.a, r.n) AS s
       ORDER BY r.i$$,
    $$SELECT b.company_id, b.status, b.source, b.match_type, b.temp_id, b.request_id
        FROM enterprise.resolve_company_ids(ARRAY['T-PLAN', NULL, NULL, NULL, 'T-NONAME', 'NO-SUCH'],
                                            ARRAY[NULL, ' 测试客户有限公司（已转出） ', '学到的公司', '没人认识的公司', '  ', '测试客户有限公司'],
                                            ARRAY[NULL, NULL, '测试账户名称', NULL, NULL, NULL],
                                            ARRAY[NULL, 'T-ACCT', NULL, NULL, NULL, NULL]) AS b
       ORDER BY b.ordinal$$,
    'each record gets what resolve_company_ids answers for it');

SELECT * FROM finish();
ROLLBACK;
