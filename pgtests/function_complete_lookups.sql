-- complete_lookups: many answers settled in one transaction.
BEGIN;
SELECT plan(19);

DELETE FROM enterprise.lookup_requests;
SELECT enterprise.upsert_internal_mappings(ARRAY['批量人工公司'], ARRAY['750000009'], ARRAY['name']);
SELECT enterprise.enqueue_lookup(n) FROM unnest(ARRAY['批量甲公司', '批量乙公司', '批量丙公司', '批量人工公司', '批量丁公司']) n;
SELECT count(*) FROM enterprise.claim_lookups(4, 'w1');   -- 甲 乙 丙 人工
SELECT count(*) FROM enterprise.claim_lookups(1, 'w2');   -- 丁
CREATE FUNCTION pg_temp.rid(n text) RETURNS bigint LANGUAGE sql AS $$
    SELECT id FROM enterprise.lookup_requests WHERE normalized_name = n $$;

SELECT throws_ok($$SELECT * FROM enterprise.complete_lookups('w1', ARRAY[1, 2]::bigint[], ARRAY['1'])$$, '22023',
    'complete_lookups: the input arrays must be one-dimensional and of equal length', 'arrays of different lengths are refused');
CREATE TEMP TABLE settled ON COMMIT DROP AS
SELECT * FROM enterprise.complete_lookups(
    'w1',
    ARRAY[pg_temp.rid('批量甲公司'), pg_temp.rid('批量乙公司'), pg_temp.rid('批量丙公司'), pg_temp.rid('批量人工公司'),
          pg_temp.rid('批量丁公司'), -1],
    ARRAY['750000001', NULL, ' 750000003 ', '750000004', '750000005', '750000006'],
    official_names => ARRAY['批量甲股份有限公司', NULL, '批量丙公司（已转出）', NULL, NULL, NULL],
    unite_codes    => ARRAY['9131A', NULL, NULL, NULL, NULL, NULL]);

SELECT results_eq($$SELECT normalized_name, outcome, company_id, official_name, unite_code FROM settled ORDER BY normalized_name$$,
    $$VALUES ('批量丙公司', 'found', '750000003', '批量丙公司（已转出）', NULL::text),
             ('批量乙公司', 'not_found', NULL, NULL, NULL),
             ('批量人工公司', 'found', '750000004', NULL, NULL),
             ('批量甲公司', 'found', '750000001', '批量甲股份有限公司', '9131A')$$,
    'the requests w1 holds are settled and returned; 丁 (held by w2) and an unknown id are skipped');
SELECT results_eq($$SELECT status, lease_owner FROM enterprise.lookup_requests WHERE normalized_name = '批量丁公司'$$,
    $$VALUES ('processing', 'w2')$$, 'the request w2 holds is untouched');
SELECT results_eq($$SELECT lookup_key, canonical_id::text, source::text FROM enterprise.company_mapping
                     WHERE lookup_key LIKE '批量%' ORDER BY lookup_key, source$$,
    $$VALUES ('批量丙公司', '750000003', 'EQC'), ('批量人工公司', '750000009', 'internal'),
             ('批量甲公司', '750000001', 'EQC'), ('批量甲股份有限公司', '750000001', 'EQC')$$,
    'found names and different official names are cached; the curated name is left alone');
SELECT isnt_empty($$SELECT 1 FROM enterprise.temp_id_assignments WHERE temp_key = enterprise._name_temp_key('批量乙公司')$$,
    'a name not found gets its TEMP id');
SELECT is((SELECT status FROM enterprise.resolve_company_id(customer_name => '批量乙公司')), 'temp_assigned',
    'and resolves to it');
SELECT is((SELECT count(*) FROM enterprise.complete_lookups('w1', ARRAY[pg_temp.rid('批量甲公司')], ARRAY['750000001'])), 0::bigint,
    'settling again settles nothing');
SELECT is((SELECT count(*) FROM enterprise.complete_lookups('w1', ARRAY[]::bigint[], ARRAY[]::text[])), 0::bigint,
    'an empty batch is fine');
SELECT throws_ok($$SELECT * FROM enterprise.complete_lookups(' ', ARRAY[1]::bigint[], ARRAY['1'])$$, '22023', 'invalid worker name',
    'a blank worker is refused');

-- Settle and claim the next batch in one call.
SELECT enterprise.enqueue_lookup(n) FROM unnest(ARRAY['批量戊公司', '批量己公司']) n;
SELECT count(*) FROM enterprise.claim_lookups(1, 'w3');
SELECT results_eq(
    $$SELECT normalized_name, status, lease_owner
        FROM enterprise.complete_lookups('w3', ARRAY[pg_temp.rid('批量戊公司')], ARRAY['750000007'], claim_next => 5)$$,
    $$VALUES ('批量戊公司', 'done', NULL::text), ('批量己公司', 'processing', 'w3')$$,
    'claim_next: the settled rows, then the next batch claimed in the same transaction');
SELECT is((SELECT attempts FROM enterprise.lookup_requests WHERE normalized_name = '批量己公司'), 1,
    'claimed like claim_lookups does');

-- One unusable answer fails its own request; the rest of the batch settles.
SELECT enterprise.enqueue_lookup(n) FROM unnest(ARRAY['批量庚公司', '批量辛公司', '批量壬公司']) n;
SELECT count(*) FROM enterprise.claim_lookups(3, 'w4');
SELECT results_eq(
    format($$SELECT normalized_name, status, outcome, lease_owner
               FROM enterprise.complete_lookups('w4', ARRAY[%s, %s, %s], ARRAY['750000011', %L, '  '], max_attempts => 1)$$,
           pg_temp.rid('批量庚公司'), pg_temp.rid('批量辛公司'), pg_temp.rid('批量壬公司'), repeat('9', 51)),
    $$VALUES ('批量庚公司', 'done', 'found', NULL::text), ('批量辛公司', 'failed', NULL, NULL), ('批量壬公司', 'failed', NULL, NULL)$$,
    'an over-long and a blank company id fail their own requests (here at max_attempts 1); the good answer settles');
SELECT is((SELECT canonical_id::text FROM enterprise.company_mapping WHERE lookup_key = '批量庚公司' AND source = 'EQC'),
    '750000011', 'the good answer is cached');
SELECT results_eq($$SELECT normalized_name, last_error FROM enterprise.lookup_requests
                     WHERE normalized_name IN ('批量辛公司', '批量壬公司') ORDER BY normalized_name DESC$$,
    $$VALUES ('批量辛公司', 'unusable EQC answer: canonical_id is longer than 50 characters (alias_name ''批量辛公司'' has canonical_id ''' || repeat('9', 51) || ''' (51 characters))'),
             ('批量壬公司', 'unusable EQC answer: canonical_id is empty (alias_name ''批量壬公司'' (match_type name) has canonical_id ''  '')')$$,
    'last_error says what was wrong with the answer');
SELECT is((SELECT count(*) FROM enterprise.company_mapping WHERE lookup_key IN ('批量辛公司', '批量壬公司')), 0::bigint,
    'nothing is cached for them');

-- A spelling longer than 255 characters: the queue keeps 255 of them, the key is the whole name's.
SELECT (SELECT request_id FROM enterprise.resolve_company_ids(customer_names => ARRAY[
            repeat('甲', 250) || '有限公司（已注销）', repeat(E'\t', 300) || '乙科技有限公司'])
         WHERE ordinal = 1) AS long_a \gset
SELECT is((SELECT count(*)::int FROM enterprise.claim_lookups(5, 'w5')), 2, 'both long spellings are queued and claimed');
SELECT results_eq(
    format($$SELECT normalized_name, status FROM enterprise.complete_lookups('w5', ARRAY[%s, %s], ARRAY['750000021', '750000022'])
              ORDER BY length(normalized_name) DESC$$, pg_temp.rid(repeat('甲', 250) || '有限公司'), pg_temp.rid('乙科技有限公司')),
    format($$VALUES (%L, 'done'), ('乙科技有限公司', 'done')$$, repeat('甲', 250) || '有限公司'),
    'a queued spelling cut at 255 characters settles (255 tabs included: no "empty lookup key")');
SELECT results_eq($$SELECT status, company_id, request_id FROM enterprise.resolve_company_ids(customer_names => ARRAY[
                        repeat('甲', 250) || '有限公司（已注销）', repeat(E'\t', 300) || '乙科技有限公司'])$$,
    $$VALUES ('success_external', '750000021', NULL::bigint), ('success_external', '750000022', NULL)$$,
    'and both names resolve from the cache: nothing is queued again');
SELECT is((SELECT count(*) FROM enterprise.company_mapping m JOIN enterprise.lookup_requests q ON q.normalized_name = m.lookup_key
            WHERE m.source = 'EQC' AND q.company_id IN ('750000021', '750000022') AND m.match_type = 'name'), 2::bigint,
    'each learned row''s key is its request''s normalized_name');

SELECT * FROM finish();
ROLLBACK;
