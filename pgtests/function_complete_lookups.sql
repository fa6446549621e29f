-- complete_lookups: many answers settled in one transaction.
BEGIN;
SELECT plan(14);

DELETE FROM enterprise.lookup_requests;
SELECT enterprise.upsert_internal_mappings(ARRAY['批量人工公司'], ARRAY['750000009'], ARRAY['name']);
SELECT enterprise.enqueue_lookup(n) FROM unnest(ARRAY['批量甲公司', '批量乙公司', '批量丙公司', '批量人工公司', '批量丁公司']) n;
SELECT count(*) FROM enterprise.claim_lookups(4, 'w1');   -- 甲 乙 丙 人工
SELECT count(*) FROM enterprise.claim_lookups(1, 'w2');   -- 丁
CREATE FUNCTION pg_temp.rid(n text) RETURNS bigint LANGUAGE sql AS $$
    SELECT id FROM enterprise.lookup_requests WHERE normalized_name = n $$;

SELECT throws_ok($$SELECT * FROM enterprise.complete_lookups('w1', ARRAY[1, 2]::bigint[], ARRAY['1'])$$, '22023',
    'complete_lookups: the input arrays must be one-dimensional and of equal length', 'arrays of different lengths are refused');
SELECT throws_ok(
    format($$SELECT * FROM enterprise.complete_lookups('w1', ARRAY[%s, %s], ARRAY['750000001', %L])$$,
           pg_temp.rid('批量甲公司'), pg_temp.rid('批量乙公司'), repeat('9', 51)),
    '22001', 'canonical_id is longer than 50 characters', 'one bad id refuses the whole batch');
SELECT results_eq($$SELECT count(*) FILTER (WHERE status = 'processing'), count(*) FROM enterprise.lookup_requests$$,
    $$VALUES (5::bigint, 5::bigint)$$, 'and nothing was settled');
SELECT is((SELECT count(*) FROM enterprise.company_mapping WHERE lookup_key LIKE '批量%' AND source = 'EQC'), 0::bigint,
    'nor cached');

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

SELECT * FROM finish();
ROLLBACK;
