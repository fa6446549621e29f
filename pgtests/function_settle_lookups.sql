-- settle_lookups: EQC's answers decided in SQL (learned, sent to review, not found, failed attempts),
-- what EQC said about each company kept, and company_profiles.
BEGIN;
SELECT plan(42);

SELECT has_function('enterprise', 'settle_lookups', ARRAY['text', 'bigint[]', 'jsonb[]', 'integer', 'interval', 'integer'],
                    'settle_lookups(text, bigint[], jsonb[], integer, interval, integer) exists');
SELECT function_privs_are('enterprise', 'settle_lookups', ARRAY['text', 'bigint[]', 'jsonb[]', 'integer', 'interval', 'integer'],
                          'enrichment_worker', ARRAY['EXECUTE'], 'a worker may settle');
SELECT function_privs_are('enterprise', 'settle_lookups', ARRAY['text', 'bigint[]', 'jsonb[]', 'integer', 'interval', 'integer'],
                          'enrichment_admin', ARRAY[]::text[], 'an admin may not');
SELECT function_privs_are('enterprise', 'company_profiles', ARRAY['text[]'], 'enrichment_reader', ARRAY['EXECUTE'],
                          'a reader may read company profiles');

DELETE FROM enterprise.lookup_requests;
SELECT enterprise.upsert_internal_mappings(ARRAY['裁决人工公司'], ARRAY['780000009'], ARRAY['name']);
SELECT enterprise.enqueue_lookup(n) FROM unnest(ARRAY['裁决甲公司', '裁决乙公司', '裁决丙公司', '裁决丁公司', '裁决戊公司',
                                                      '裁决己公司', '裁决庚公司']) n;
SELECT count(*) FROM enterprise.claim_lookups(10, 'w1');
CREATE FUNCTION pg_temp.rid(n text) RETURNS bigint LANGUAGE sql AS $$
    SELECT id FROM enterprise.lookup_requests WHERE normalized_name = n $$;

CREATE TEMP TABLE settled ON COMMIT DROP AS
SELECT * FROM enterprise.settle_lookups('w1',
    ARRAY[pg_temp.rid('裁决甲公司'), pg_temp.rid('裁决乙公司'), pg_temp.rid('裁决丙公司'), pg_temp.rid('裁决丁公司'),
          pg_temp.rid('裁决戊公司'), pg_temp.rid('裁决己公司'), pg_temp.rid('裁决庚公司')],
    ARRAY[
      -- 甲: the right company is second, under its exact name
      '[{"companyId": "780000001", "companyFullName": "裁决甲乙集团", "unite_code": "91A", "type": "模糊匹配"},
        {"companyId": "780000002", "companyFullName": "裁决甲公司（已注销）", "unite_code": "91B", "type": "模糊匹配"}]',
      -- 乙: fuzzy, exactly at the threshold (0.80)
      '[{"companyId": "780000003", "companyFullName": "裁决乙有限公司", "type": "模糊匹配"}]',
      -- 丙: pinyin only: below the threshold
      '[{"companyId": "780000004", "companyFullName": "菜绝丙公司", "type": "拼音"},
        {"companyId": "780000005", "companyFullName": "裁决丙丙公司"}]',
      -- 丁: EQC found nothing
      '[]',
      -- 戊: one malformed candidate spoils only its own answer
      '[{"companyId": "780000006", "companyFullName": "裁决戊公司"}, {"companyFullName": "裁决戊戊公司"}]',
      -- 己: the same company again (EQC's answer for another name)
      '[{"companyId": "780000001", "companyFullName": "裁决甲乙集团", "unite_code": "91A2", "type": "全称精确匹配"}]',
      -- 庚: untyped and not the name: 0.70
      '[{"companyId": "780000007", "companyFullName": "裁决庚贸易公司"}]']::jsonb[]);

SELECT results_eq($$SELECT normalized_name, status, outcome, company_id FROM settled ORDER BY status = 'review', status, id$$,
    $$VALUES ('裁决甲公司', 'done', 'found', '780000002'), ('裁决乙公司', 'done', 'found', '780000003'),
             ('裁决丁公司', 'done', 'not_found', NULL), ('裁决己公司', 'done', 'found', '780000001'),
             ('裁决戊公司', 'pending', NULL, NULL),
             ('裁决丙公司', 'review', NULL, NULL), ('裁决庚公司', 'review', NULL, NULL)$$,
    'settled, failed attempt and review rows, each as decided');
SELECT results_eq($$SELECT lookup_key, canonical_id::text, confidence, eqc_type FROM enterprise.company_mapping
                     WHERE source = 'EQC' AND lookup_key LIKE '裁决%' ORDER BY lookup_key$$,
    $$VALUES ('裁决乙公司', '780000003', 0.80::numeric, '模糊匹配'::text),
             ('裁决乙有限公司', '780000003', 1.00, NULL),
             ('裁决己公司', '780000001', 1.00, '全称精确匹配'),
             ('裁决甲乙集团', '780000001', 1.00, NULL),
             ('裁决甲公司', '780000002', 1.00, '模糊匹配')$$,
    'learned with their confidence and EQC type; official names at 1.00; nothing for review, not-found or failed requests');
SELECT is((SELECT (candidates -> 0 ->> 'company_id') || ' ' || (candidates -> 0 ->> 'confidence') || ' / ' ||
                  (candidates -> 1 ->> 'company_id') || ' ' || (candidates -> 1 ->> 'confidence')
             FROM enterprise.lookup_requests WHERE normalized_name = '裁决丙公司'),
          '780000005 0.70 / 780000004 0.60', 'a request under review keeps its candidates, scored, best first');
SELECT is((SELECT candidates FROM enterprise.lookup_requests WHERE normalized_name = '裁决丙公司'),
          '[{"company_id": "780000005", "full_name": "裁决丙丙公司", "unite_code": null, "eqc_type": null, "confidence": 0.70},
            {"company_id": "780000004", "full_name": "菜绝丙公司", "unite_code": null, "eqc_type": "拼音", "confidence": 0.60}]'::jsonb,
          'the candidates kept for review: five fields each, without EQC''s raw object or rank');
SELECT results_eq($$SELECT outcome, company_id, official_name, unite_code, completed_at FROM enterprise.lookup_requests
                     WHERE normalized_name IN ('裁决丙公司', '裁决庚公司')$$,
    $$VALUES (NULL::text, NULL::text, NULL::text, NULL::text, NULL::timestamptz),
             (NULL, NULL, NULL, NULL, NULL)$$,
    'a request sent to review has no outcome, company or completion (settled and reviewed requests share one update)');
SELECT results_eq($$SELECT status, lease_owner, claimable_at FROM enterprise.lookup_requests WHERE normalized_name = '裁决丙公司'$$,
    $$VALUES ('review', NULL::text, NULL::timestamptz)$$, 'under review: no lease, never claimable');
SELECT alike((SELECT last_error FROM enterprise.lookup_requests WHERE normalized_name = '裁决戊公司'),
            'unusable EQC answer: an EQC candidate has no companyId (candidate 2: %',
            'the malformed answer is a failed attempt saying why');
SELECT isnt_empty($$SELECT 1 FROM enterprise.temp_id_assignments WHERE temp_key = enterprise._name_temp_key('裁决丁公司')$$,
    'a name EQC does not know gets its TEMP id');

-- What EQC said about each company.
SELECT results_eq($$SELECT company_id::text, full_name, unite_code::text, last_search_key FROM enterprise.eqc_companies
                     WHERE company_id LIKE '78000000%' ORDER BY company_id$$,
    $$VALUES ('780000001', '裁决甲乙集团', '91A2', '裁决己公司'), ('780000002', '裁决甲公司（已注销）', '91B', '裁决甲公司'),
             ('780000003', '裁决乙有限公司', NULL, '裁决乙公司'), ('780000004', '菜绝丙公司', NULL, '裁决丙公司'),
             ('780000005', '裁决丙丙公司', NULL, '裁决丙公司'), ('780000007', '裁决庚贸易公司', NULL, '裁决庚公司')$$,
    'every candidate of a valid answer is kept, once per company, as the latest answer said (the malformed answer''s are not)');
SELECT is((SELECT raw FROM enterprise.eqc_companies WHERE company_id = '780000002'),
          '{"companyId": "780000002", "companyFullName": "裁决甲公司（已注销）", "unite_code": "91B", "type": "模糊匹配"}'::jsonb,
          'with the raw JSON of the candidate');
SELECT results_eq($$SELECT company_id, full_name, unite_code FROM enterprise.company_profiles(ARRAY['780000004', 'nope', '780000002', '780000004'])$$,
    $$VALUES ('780000004'::text, '菜绝丙公司'::text, NULL::text), ('780000002', '裁决甲公司（已注销）', '91B')$$,
    'company_profiles: known ids, in the order asked, once each');

-- Resolution of names under review.
SELECT results_eq($$SELECT status, company_id, request_id FROM enterprise.resolve_company_ids(customer_names => ARRAY['裁决丙公司', '裁决乙公司'])$$,
    $$SELECT 'pending_lookup', NULL::text, pg_temp.rid('裁决丙公司') UNION ALL SELECT 'success_external', '780000003', NULL$$,
    'a name under review answers pending_lookup with its request; an accepted one resolves');
SELECT is((SELECT count(*)::int FROM enterprise.lookup_requests WHERE normalized_name = '裁决丙公司'), 1, 'and it is not queued again');
SELECT is((enterprise.enqueue_lookup('（已注销）裁决丙公司')).id, pg_temp.rid('裁决丙公司'), 'enqueue_lookup returns the request under review');
SELECT is((SELECT review FROM enterprise.lookup_queue_stats), 2::bigint, 'the stats count the requests under review');
SELECT is((SELECT count(*)::int FROM enterprise.claim_lookups(10, 'w2') WHERE status = 'processing' AND normalized_name IN ('裁决丙公司', '裁决庚公司')), 0,
          'requests under review are never claimed');
UPDATE enterprise.lookup_requests SET completed_at = now() - interval '100 days', created_at = now() - interval '100 days'
 WHERE normalized_name LIKE '裁决%' AND status = 'done';
SELECT is(enterprise.prune_lookup_requests(interval '1 day'), 4::bigint, 'pruning takes done requests only, never those under review');

-- The threshold, changed by an admin.
SELECT enterprise.enqueue_lookup(n) FROM unnest(ARRAY['阈值甲公司', '阈值乙公司']) n;
SELECT count(*) FROM enterprise.claim_lookups(10, 'w3');
SELECT is((SELECT auto_accept_confidence FROM enterprise.configure_lookup_queue(auto_accept_confidence => 0.85)), 0.85, 'threshold 0.85');
SELECT results_eq(
    format($$SELECT normalized_name, status FROM enterprise.settle_lookups('w3', ARRAY[%s, %s], ARRAY[%L, %L]::jsonb[]) ORDER BY id$$,
           pg_temp.rid('阈值甲公司'), pg_temp.rid('阈值乙公司'),
           '[{"companyId": "781", "companyFullName": "阈值甲集团", "type": "模糊匹配"}]',
           '[{"companyId": "782", "companyFullName": "阈值乙集团", "type": "全称精确匹配"}]'),
    $$VALUES ('阈值甲公司', 'review'), ('阈值乙公司', 'done')$$, 'a fuzzy answer (0.80) is below 0.85, an exact-type one is not');
SELECT throws_ok($$SELECT enterprise.configure_lookup_queue(auto_accept_confidence => 1.2)$$, '22023', 'invalid queue settings',
                 'a threshold above 1 is refused');

-- The settle's durability is queue policy (queue_settings.settle_synchronous_commit): the calling transaction
-- commits with it, off unless an admin says otherwise.
SELECT is((SELECT settle_synchronous_commit FROM enterprise.queue_settings), 'off', 'settles do not wait for a WAL flush by default');
SELECT enterprise.enqueue_lookup(n) FROM unnest(ARRAY['提交甲公司', '提交乙公司']) n;
SELECT count(*) FROM enterprise.claim_lookups(10, 'w4');
SET LOCAL synchronous_commit = on;
SELECT is((SELECT count(*) FROM enterprise.settle_lookups('w4', ARRAY[pg_temp.rid('提交甲公司')], ARRAY['[]'::jsonb])), 1::bigint,
          'a settle with the default policy');
SELECT is(current_setting('synchronous_commit'), 'off', '... leaves its transaction committing with synchronous_commit off');
SELECT is((SELECT settle_synchronous_commit FROM enterprise.configure_lookup_queue(settle_synchronous_commit => ' On ')), 'on',
          'an admin makes settles wait for their flush (the value trimmed and case-folded)');
SET LOCAL synchronous_commit = off;
SELECT is((SELECT count(*) FROM enterprise.settle_lookups('w4', ARRAY[pg_temp.rid('提交乙公司')], ARRAY['[]'::jsonb])), 1::bigint,
          'a settle with synchronous_commit on ...');
SELECT is(current_setting('synchronous_commit'), 'on', '... commits waiting for its flush');
SELECT throws_ok($$SELECT enterprise.configure_lookup_queue(settle_synchronous_commit => 'maybe')$$, '22023', 'invalid queue settings',
                 'a synchronous_commit value PostgreSQL does not know is refused');

-- The learned-name UPSERT the settle writes itself: a curated key is never written over, a learned row with another
-- id is updated (its history says so), one with the same id is left as it is, and two answers whose official names
-- have one key write it once, with the first answer's id.
SELECT enterprise.enqueue_lookup(n) FROM unnest(ARRAY['写入甲公司', '写入乙公司', '写入丙公司', '写入丁公司']) n;
SELECT count(*) FROM enterprise.claim_lookups(10, 'w6');
SELECT enterprise.upsert_internal_mappings(ARRAY['写入甲公司'], ARRAY['790000001'], ARRAY['name']);
INSERT INTO enterprise.company_mapping (alias_name, canonical_id, source, match_type, priority, confidence)
VALUES ('写入乙公司', '790000009', 'EQC', 'name', 4, 0.80), ('写入丙公司', '790000003', 'EQC', 'name', 4, 0.90);
SELECT is((SELECT count(*)::int FROM enterprise.settle_lookups('w6',
    ARRAY[pg_temp.rid('写入甲公司'), pg_temp.rid('写入乙公司'), pg_temp.rid('写入丙公司'), pg_temp.rid('写入丁公司')],
    ARRAY['[{"companyId": "790000002", "companyFullName": "写入甲公司", "type": "全称精确匹配"}]',
          '[{"companyId": "790000002", "companyFullName": "写入乙公司", "type": "全称精确匹配"}]',
          '[{"companyId": "790000003", "companyFullName": "写入集团", "type": "全称精确匹配"}]',
          '[{"companyId": "790000004", "companyFullName": "写入集团", "type": "全称精确匹配"}]']::jsonb[])
           WHERE status = 'done' AND outcome = 'found'), 4, 'four answers found');
SELECT results_eq($$SELECT lookup_key, canonical_id::text, source::text, confidence, eqc_type FROM enterprise.company_mapping
                     WHERE lookup_key LIKE '写入%' ORDER BY lookup_key, source$$,
    $$VALUES ('写入丁公司', '790000004', 'EQC', 1.00::numeric, '全称精确匹配'::text),
             ('写入丙公司', '790000003', 'EQC', 0.90, NULL),
             ('写入乙公司', '790000002', 'EQC', 1.00, '全称精确匹配'),
             ('写入甲公司', '790000001', 'internal', 1.00, NULL),
             ('写入集团', '790000003', 'EQC', 1.00, NULL)$$,
    'curated kept, another id updated, the same id left as it was, one official key written once (the first answer''s)');
SELECT results_eq($$SELECT operation, canonical_id_before::text, canonical_id_after::text FROM enterprise.company_mapping_history
                     WHERE alias_name = '写入乙公司' ORDER BY id$$,
    $$VALUES ('insert', NULL, '790000009'), ('update', '790000009', '790000002')$$,
    'the update is in the history');
SELECT is((SELECT count(*)::int FROM enterprise.company_mapping_history WHERE alias_name IN ('写入丙公司', '写入甲公司')
              AND operation <> 'insert'), 0, 'the rows left as they were have no entry but their insert');

-- Answers are matched to requests by position: a request given twice keeps
-- its first answer, and arrays that do not start at 1 pair element by element
-- (the second array's bounds are its own).
DELETE FROM enterprise.lookup_requests;
SELECT enterprise.enqueue_lookup(n) FROM unnest(ARRAY['位置甲公司', '位置乙公司', '位置丙公司']) n;
SELECT count(*) FROM enterprise.claim_lookups(10, 'w3');
SELECT results_eq(
    $$SELECT normalized_name, status, company_id::text FROM enterprise.settle_lookups('w3',
          ARRAY[pg_temp.rid('位置甲公司'), pg_temp.rid('位置乙公司'), pg_temp.rid('位置甲公司')],
          ARRAY['[{"companyId": "791000001", "companyFullName": "位置甲公司"}]',
                '[{"companyId": "791000002", "companyFullName": "位置乙公司"}]',
                '[{"companyId": "791000009", "companyFullName": "位置甲公司"}]']::jsonb[])
        ORDER BY normalized_name$$,
    $$VALUES ('位置乙公司', 'done', '791000002'), ('位置甲公司', 'done', '791000001')$$,
    'a request given twice is settled once, with its first answer');
SELECT results_eq(
    $$SELECT normalized_name, status, company_id::text FROM enterprise.settle_lookups('w3',
          ('[0:0]={' || pg_temp.rid('位置丙公司') || '}')::bigint[],
          '[5:5]={"[{\"companyId\": \"791000003\", \"companyFullName\": \"位置丙公司\"}]"}'::jsonb[])$$,
    $$VALUES ('位置丙公司', 'done', '791000003')$$,
    'arrays that start at other subscripts pair by position');
SELECT results_eq($$SELECT alias_name::text, canonical_id::text FROM enterprise.company_mapping
                     WHERE alias_name LIKE '位置%' ORDER BY alias_name$$,
    $$VALUES ('位置丙公司', '791000003'), ('位置乙公司', '791000002'), ('位置甲公司', '791000001')$$,
    'each name learned under its own answer''s company');

-- An answer that lists two companies twice: the failed attempt names the first of them in EQC's order (0.5.2).
SELECT enterprise.enqueue_lookup('位置丁公司');
SELECT count(*) FROM enterprise.claim_lookups(10, 'w4');
SELECT is((SELECT last_error FROM enterprise.settle_lookups('w4', ARRAY[pg_temp.rid('位置丁公司')],
              ARRAY['[{"companyId": "b", "companyFullName": "位置丁公司"}, {"companyId": "a", "companyFullName": "位置丁甲公司"},
                      {"companyId": "b", "companyFullName": "位置丁乙公司"}, {"companyId": "a", "companyFullName": "位置丁丙公司"}]']::jsonb[])),
          'unusable EQC answer: EQC listed one company twice (companyId ''b'' at candidates 1, 3)',
          'a failed attempt names the company EQC listed twice first, with its ranks');

-- Call-level errors: nothing written.
SELECT throws_ok($$SELECT * FROM enterprise.settle_lookups('w1', ARRAY[1, 2]::bigint[], ARRAY['[]']::jsonb[])$$, '22023',
                 'settle_lookups: the input arrays must be one-dimensional and of equal length', 'arrays of different lengths are refused');
SELECT throws_ok($$SELECT * FROM enterprise.settle_lookups('w1', ARRAY[1]::bigint[], ARRAY['{"list": []}']::jsonb[])$$, '22023',
                 'settle_lookups: each answer must be a JSON array of candidates', 'an answer that is not a JSON array is refused');
SELECT throws_ok($$SELECT * FROM enterprise.settle_lookups('w1', ARRAY[1]::bigint[], ARRAY[NULL]::jsonb[])$$, '22023',
                 'settle_lookups: each answer must be a JSON array of candidates', 'a NULL answer is refused');

SELECT * FROM finish();
ROLLBACK;
