-- resolve_company_ids: contract, argument checks, and batch == single-row on
-- a mixed fixture of 1,200 records.
BEGIN;
SELECT plan(16);

SELECT has_function('enterprise', 'resolve_company_ids', ARRAY['text[]', 'text[]', 'text[]', 'text[]'], 'resolve_company_ids(text[] x4) exists');
SELECT function_returns('enterprise', 'resolve_company_ids', ARRAY['text[]', 'text[]', 'text[]', 'text[]'], 'setof record', 'it returns a set of rows');
SELECT volatility_is('enterprise', 'resolve_company_ids', ARRAY['text[]', 'text[]', 'text[]', 'text[]'], 'volatile', 'it is VOLATILE');
SELECT is_definer('enterprise', 'resolve_company_ids', ARRAY['text[]', 'text[]', 'text[]', 'text[]'], 'it is SECURITY DEFINER (callers have no table rights)');
SELECT function_privs_are('enterprise', 'resolve_company_ids', ARRAY['text[]', 'text[]', 'text[]', 'text[]'], 'public', ARRAY[]::text[], 'PUBLIC cannot resolve batches');
SELECT function_privs_are('enterprise', 'resolve_company_ids', ARRAY['text[]', 'text[]', 'text[]', 'text[]'], 'enrichment_reader', ARRAY['EXECUTE'], 'reader can resolve batches');
SELECT function_privs_are('enterprise', 'resolve_company_ids', ARRAY['text[]', 'text[]', 'text[]', 'text[]'], 'enrichment_worker', ARRAY['EXECUTE'], 'worker can resolve batches');
SELECT function_privs_are('enterprise', 'resolve_company_ids', ARRAY['text[]', 'text[]', 'text[]', 'text[]'], 'enrichment_admin', ARRAY['EXECUTE'], 'admin can resolve batches');

SELECT throws_ok($$SELECT * FROM enterprise.resolve_company_ids(ARRAY['a', 'b'], ARRAY['x'])$$, '22023',
    'resolve_company_ids: the input arrays must be one-dimensional and of equal length',
    'arrays of different lengths are rejected');
SELECT throws_ok($$SELECT * FROM enterprise.resolve_company_ids(ARRAY[['a'], ['b']])$$, '22023',
    'resolve_company_ids: the input arrays must be one-dimensional and of equal length',
    'a two-dimensional array is rejected');
SELECT is_empty($$SELECT * FROM enterprise.resolve_company_ids()$$, 'no arrays: no rows');
SELECT is_empty($$SELECT * FROM enterprise.resolve_company_ids(ARRAY[]::text[])$$, 'empty arrays: no rows');

-- Fixture mappings: 40 of each curated kind, 40 learned names, and 10 learned
-- names that a curated name shadows.
SELECT enterprise.upsert_internal_mappings(
    array_agg(alias ORDER BY alias, kind), array_agg(id ORDER BY alias, kind), array_agg(kind ORDER BY alias, kind))
  FROM (SELECT 'BP' || i AS alias, (300000000 + i)::text AS id, 'plan' AS kind FROM generate_series(1, 40) i
        UNION ALL SELECT 'BA' || i, (310000000 + i)::text, 'account' FROM generate_series(1, 40) i
        UNION ALL SELECT 'BH' || i, (320000000 + i)::text, 'hardcode' FROM generate_series(1, 40) i
        UNION ALL SELECT '批量客户' || i || '有限公司', (330000000 + i)::text, 'name' FROM generate_series(1, 40) i
        UNION ALL SELECT '批量账户' || i, (340000000 + i)::text, 'account_name' FROM generate_series(1, 40) i) AS m;
SELECT enterprise.cache_company_mapping('学到客户' || i, (350000000 + i)::text) FROM generate_series(1, 40) i;
SELECT enterprise.cache_company_mapping('批量客户' || i || '有限公司-注销', '359999999') FROM generate_series(1, 10) i;

-- 1,200 records, 12 shapes.
CREATE TEMP TABLE fixture ON COMMIT DROP AS
SELECT i AS ord, i % 12 AS shape,
       CASE i % 12 WHEN 0 THEN 'BP' || ((i / 12) % 40 + 1)
                   WHEN 2 THEN ' BH' || ((i / 12) % 40 + 1) || ' '
                   WHEN 7 THEN 'NOPLAN' || ((i / 12) % 25)
                   WHEN 8 THEN '  '
                   WHEN 11 THEN 'BP' || ((i / 12) % 40 + 1) END AS plan_code,
       CASE i % 12 WHEN 3 THEN '（已转出）批量客户' || ((i / 12) % 40 + 1) || '有限公司'
                   WHEN 5 THEN ' 学到客户' || ((i / 12) % 40 + 1)
                   WHEN 6 THEN '未知客户' || ((i / 12) % 30)
                   WHEN 9 THEN '批量客户' || ((i / 12) % 10 + 1) || '有限公司'
                   WHEN 10 THEN 'N/A'
                   WHEN 11 THEN '批量客户' || ((i / 12) % 40 + 1) || '有限公司' END AS customer_name,
       CASE i % 12 WHEN 4 THEN '批量账户' || ((i / 12) % 40 + 1)
                   WHEN 7 THEN '某账户' || ((i / 12) % 5) END AS account_name,
       CASE i % 12 WHEN 1 THEN 'BA' || ((i / 12) % 40 + 1)
                   WHEN 10 THEN 'NOACCT' || ((i / 12) % 20) END AS account_number
  FROM generate_series(1, 1200) i;

CREATE TEMP TABLE batch ON COMMIT DROP AS
SELECT * FROM enterprise.resolve_company_ids(
    (SELECT array_agg(plan_code ORDER BY ord) FROM fixture),
    (SELECT array_agg(customer_name ORDER BY ord) FROM fixture),
    (SELECT array_agg(account_name ORDER BY ord) FROM fixture),
    (SELECT array_agg(account_number ORDER BY ord) FROM fixture));

CREATE TEMP TABLE single ON COMMIT DROP AS
SELECT f.ord AS ordinal, (r).*
  FROM fixture f,
       LATERAL (SELECT enterprise.resolve_company_id(f.plan_code, f.customer_name, f.account_name, f.account_number) AS r) x
 ORDER BY f.ord;

SELECT is((SELECT count(*) FROM batch), 1200::bigint, 'one row per record');
SELECT results_eq(
    $$SELECT ordinal FROM batch$$,
    $$SELECT ord::bigint FROM fixture ORDER BY ord$$,
    'rows come back in input order with their ordinals');
-- Shape 8 has no field at all: each call mints a fresh id, so compare all but the id.
SELECT results_eq(
    $$SELECT b.ordinal, CASE WHEN f.shape = 8 THEN 'fresh' ELSE b.company_id END, b.status, b.source, b.match_type,
             CASE WHEN f.shape = 8 THEN 'fresh' ELSE b.temp_id END, b.request_id
        FROM batch b JOIN fixture f ON f.ord = b.ordinal ORDER BY b.ordinal$$,
    $$SELECT s.ordinal::bigint, CASE WHEN f.shape = 8 THEN 'fresh' ELSE s.company_id END, s.status, s.source, s.match_type,
             CASE WHEN f.shape = 8 THEN 'fresh' ELSE s.temp_id END, s.request_id
        FROM single s JOIN fixture f ON f.ord = s.ordinal ORDER BY s.ordinal$$,
    'the batch gives exactly the single-row answers for 1,200 mixed records');
SELECT results_eq(
    $$SELECT f.shape, b.status, b.source, count(*), count(DISTINCT b.company_id)
        FROM batch b JOIN fixture f ON f.ord = b.ordinal GROUP BY 1, 2, 3 ORDER BY 1, 2, 3$$,
    $$VALUES (0, 'success_internal', 'plan', 100::bigint, 40::bigint),
             (1, 'success_internal', 'account', 100, 40),
             (2, 'success_internal', 'hardcode', 100, 40),
             (3, 'success_internal', 'name', 100, 40),
             (4, 'success_internal', 'account_name', 100, 40),
             (5, 'success_external', 'EQC', 100, 40),
             (6, 'pending_lookup', 'queued', 100, 0),
             (7, 'temp_assigned', 'generated', 100, 25),
             (8, 'temp_assigned', 'generated', 100, 100),
             (9, 'success_internal', 'name', 100, 10),
             (10, 'temp_assigned', 'generated', 100, 20),
             (11, 'success_internal', 'plan', 100, 40)$$,
    'every shape resolves as designed, and repeated keys share one TEMP id');

SELECT * FROM finish();
ROLLBACK;
