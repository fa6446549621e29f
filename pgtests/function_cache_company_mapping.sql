-- cache_company_mapping: contract, UPSERT behaviour, curated rows untouched, errors.
BEGIN;
SELECT plan(22);

SELECT has_function('enterprise', 'cache_company_mapping', ARRAY['text', 'text', 'text'], 'cache_company_mapping(text, text, text) exists');
SELECT function_returns('enterprise', 'cache_company_mapping', ARRAY['text', 'text', 'text'], 'text', 'it returns text');
SELECT volatility_is('enterprise', 'cache_company_mapping', ARRAY['text', 'text', 'text'], 'volatile', 'it is VOLATILE');
SELECT is_definer('enterprise', 'cache_company_mapping', ARRAY['text', 'text', 'text'], 'it is SECURITY DEFINER');
SELECT function_privs_are('enterprise', 'cache_company_mapping', ARRAY['text', 'text', 'text'], 'public', ARRAY[]::text[], 'PUBLIC cannot cache');
SELECT function_privs_are('enterprise', 'cache_company_mapping', ARRAY['text', 'text', 'text'], 'enrichment_reader', ARRAY[]::text[], 'reader cannot cache');
SELECT function_privs_are('enterprise', 'cache_company_mapping', ARRAY['text', 'text', 'text'], 'enrichment_worker', ARRAY['EXECUTE'], 'worker can cache');
SELECT function_privs_are('enterprise', 'cache_company_mapping', ARRAY['text', 'text', 'text'], 'enrichment_admin', ARRAY[]::text[], 'admin cannot cache (it loads curated rows)');

SELECT is(enterprise.cache_company_mapping('缓存测试公司', '400000001'), 'inserted', 'a new name is inserted');
SELECT results_eq($$SELECT alias_name::text, canonical_id::text, source::text, match_type::text, priority, lookup_key
                      FROM enterprise.company_mapping WHERE lookup_key = '缓存测试公司'$$,
    $$VALUES ('缓存测试公司', '400000001', 'EQC', 'name', 4, '缓存测试公司')$$, 'stored as a learned name row with its key');
SELECT is(enterprise.cache_company_mapping('缓存测试公司（已转出）', '400000001'), 'unchanged', 'the same key and id is unchanged');
SELECT is(enterprise.cache_company_mapping(' 缓存测试公司 ', '400000002'), 'updated', 'the same key with a new id is updated');
SELECT is((SELECT count(*) FROM enterprise.company_mapping WHERE lookup_key = '缓存测试公司'), 1::bigint, 'still one row for the key');

SELECT enterprise.upsert_internal_mappings(ARRAY['人工维护公司'], ARRAY['400000009'], ARRAY['name']);
SELECT is(enterprise.cache_company_mapping('人工维护公司-注销', '400000003'), 'skipped_curated', 'a curated name is never overwritten');
SELECT results_eq($$SELECT canonical_id::text, source::text FROM enterprise.company_mapping WHERE lookup_key = '人工维护公司'$$,
    $$VALUES ('400000009', 'internal')$$, 'and nothing was added beside it');

SELECT throws_ok($$SELECT enterprise.cache_company_mapping('N/A', '400000004')$$, '22023', 'alias_name has an empty lookup key', 'a placeholder alias is rejected');
SELECT throws_ok($$SELECT enterprise.cache_company_mapping(NULL, '400000004')$$, '22023', 'alias_name has an empty lookup key', 'a NULL alias is rejected');
SELECT throws_ok($$SELECT enterprise.cache_company_mapping('某公司', '  ')$$, '22023', 'canonical_id is empty', 'a blank canonical_id is rejected');
SELECT throws_ok($$SELECT enterprise.cache_company_mapping('某公司', repeat('9', 51))$$, '22001', 'canonical_id is longer than 50 characters', 'an oversized canonical_id is rejected');
SELECT throws_ok($$SELECT enterprise.cache_company_mapping(repeat('长', 256), '400000004')$$, '22001', 'alias_name is longer than 255 characters', 'an oversized alias is rejected');
SELECT throws_ok($$SELECT enterprise.cache_company_mapping('某公司', '400000004', 'internal')$$, '22023', 'invalid source for a learned mapping', 'source internal is refused: curated rows have their own path');
SELECT is((SELECT count(*) FROM enterprise.company_mapping WHERE lookup_key IN ('某公司', '')), 0::bigint, 'rejected calls wrote nothing');

SELECT * FROM finish();
ROLLBACK;
