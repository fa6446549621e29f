-- The functions the web console reads through: review_requests (keyset pages of the review queue, filtered by
-- name, for every role), search_mappings (curated and learned mappings by alias, company id or key) and
-- failed_lookups (failed requests with their last error).
BEGIN;
SELECT plan(39);

-- ------------------------------------------------------------------------------------------ contracts
SELECT has_function('enterprise', 'review_requests', ARRAY['text', 'bigint', 'integer'], 'review_requests exists');
SELECT has_function('enterprise', 'search_mappings', ARRAY['text', 'text', 'text', 'integer'], 'search_mappings exists');
SELECT has_function('enterprise', 'failed_lookups', ARRAY['integer'], 'failed_lookups exists');
SELECT function_returns('enterprise', 'review_requests', ARRAY['text', 'bigint', 'integer'], 'setof enterprise.lookup_review',
                        'review_requests returns rows of lookup_review');
SELECT function_returns('enterprise', 'search_mappings', ARRAY['text', 'text', 'text', 'integer'], 'setof record',
                        'search_mappings returns a table');
SELECT function_returns('enterprise', 'failed_lookups', ARRAY['integer'], 'setof record', 'failed_lookups returns a table');
SELECT volatility_is('enterprise', 'review_requests', ARRAY['text', 'bigint', 'integer'], 'stable', 'review_requests is STABLE');
SELECT volatility_is('enterprise', 'search_mappings', ARRAY['text', 'text', 'text', 'integer'], 'stable', 'search_mappings is STABLE');
SELECT volatility_is('enterprise', 'failed_lookups', ARRAY['integer'], 'stable', 'failed_lookups is STABLE');
SELECT is_definer('enterprise', 'review_requests', ARRAY['text', 'bigint', 'integer'], 'review_requests is SECURITY DEFINER');
SELECT is_definer('enterprise', 'search_mappings', ARRAY['text', 'text', 'text', 'integer'], 'search_mappings is SECURITY DEFINER');
SELECT is_definer('enterprise', 'failed_lookups', ARRAY['integer'], 'failed_lookups is SECURITY DEFINER');
SELECT function_privs_are('enterprise', 'review_requests', ARRAY['text', 'bigint', 'integer'], 'enrichment_reader',
                          ARRAY['EXECUTE'], 'a reader may list the review queue');
SELECT function_privs_are('enterprise', 'review_requests', ARRAY['text', 'bigint', 'integer'], 'public',
                          ARRAY[]::text[], 'PUBLIC may not');
SELECT function_privs_are('enterprise', 'search_mappings', ARRAY['text', 'text', 'text', 'integer'], 'enrichment_reader',
                          ARRAY['EXECUTE'], 'a reader may search mappings');
SELECT function_privs_are('enterprise', 'search_mappings', ARRAY['text', 'text', 'text', 'integer'], 'public',
                          ARRAY[]::text[], 'PUBLIC may not');
SELECT function_privs_are('enterprise', 'failed_lookups', ARRAY['integer'], 'enrichment_reader',
                          ARRAY['EXECUTE'], 'a reader may list failed requests');
SELECT function_privs_are('enterprise', 'failed_lookups', ARRAY['integer'], 'public', ARRAY[]::text[], 'PUBLIC may not');

-- ------------------------------------------------------------------------------------------ fixtures
DELETE FROM enterprise.lookup_requests;
INSERT INTO enterprise.lookup_requests (name, normalized_name, status, candidates)
SELECT n, enterprise.normalize_name(n), 'review', '[{"company_id": "1", "confidence": 0.6}]'
  FROM unnest(ARRAY['网页甲公司', '网页乙公司', '网页丙公司', '别的公司', '百分之100%_公司']) WITH ORDINALITY AS u(n, i)
 ORDER BY i;
CREATE FUNCTION pg_temp.rid(n text) RETURNS bigint LANGUAGE sql AS $$
    SELECT id FROM enterprise.lookup_requests WHERE name = n $$;
SELECT enterprise.enqueue_lookup('网页失败公司');
SELECT count(*) FROM enterprise.claim_lookup(pg_temp.rid('网页失败公司'), 'ce-web');
SELECT enterprise.fail_lookup(pg_temp.rid('网页失败公司'), 'ce-web', 'EQC said 500', max_attempts => 1);
SELECT is((SELECT inserted::int FROM enterprise.upsert_internal_mappings(
              alias_names   => ARRAY['网页映射公司', 'CE_WEB_PLAN', '网页映射另一公司'],
              canonical_ids => ARRAY['675000001', '675000001', '675000002'],
              match_types   => ARRAY['name', 'plan', 'name'])), 3, 'fixtures: three curated mappings');
SELECT is(enterprise.cache_company_mapping(alias_name => '（已转出）网页映射公司学到', canonical_id => '675000003'),
          'inserted', 'fixtures: a learned mapping');

SELECT pg_temp.rid('网页乙公司') AS ce_yi \gset

-- ------------------------------------------------------------------------------------------ review_requests
SET LOCAL ROLE enrichment_reader;
SELECT results_eq($$SELECT name FROM enterprise.review_requests(max_rows => 2)$$,
    $$VALUES ('网页甲公司'), ('网页乙公司')$$, 'a reader gets the oldest page first');
SELECT results_eq(format($$SELECT name FROM enterprise.review_requests(after => %s, max_rows => 2)$$, :ce_yi),
    $$VALUES ('网页丙公司'), ('别的公司')$$, 'the next page starts after the last request_id seen');
SELECT results_eq($$SELECT name FROM enterprise.review_requests(name_contains => ' 网页 ')$$,
    $$VALUES ('网页甲公司'), ('网页乙公司'), ('网页丙公司')$$, 'filtered by a text the name contains (trimmed)');
SELECT results_eq($$SELECT name FROM enterprise.review_requests(name_contains => '100%_')$$,
    $$VALUES ('百分之100%_公司')$$, 'the filter is a literal text: % and _ are not wildcards');
SELECT is_empty($$SELECT * FROM enterprise.review_requests(name_contains => '%%')$$, '%% matches only a name holding %%');
SELECT is((SELECT candidates FROM enterprise.review_requests(name_contains => '甲')),
    '[{"company_id": "1", "confidence": 0.6}]'::jsonb, 'with the candidates');
SELECT throws_ok($$SELECT * FROM enterprise.review_requests(max_rows => 0)$$, '22023',
    'review_requests: max_rows must be between 1 and 1000', 'max_rows 0 is refused');
SELECT throws_ok($$SELECT * FROM enterprise.review_requests(max_rows => NULL)$$, '22023',
    'review_requests: max_rows must be between 1 and 1000', 'max_rows NULL is refused');

-- ------------------------------------------------------------------------------------------ search_mappings
SELECT results_eq($$SELECT alias_name, match_type, canonical_id, source FROM enterprise.search_mappings(company_id => ' 675000001 ')$$,
    $$VALUES ('CE_WEB_PLAN', 'plan', '675000001', 'internal'), ('网页映射公司', 'name', '675000001', 'internal')$$,
    'by company_id: curated, by kind');
SELECT results_eq($$SELECT alias_name, source, confidence FROM enterprise.search_mappings(alias_contains => '网页映射')$$,
    $$VALUES ('网页映射公司'::text, 'internal'::text, 1.00::numeric), ('网页映射另一公司', 'internal', 1.00),
             ('（已转出）网页映射公司学到', 'EQC', NULL)$$,
    'by a text the alias contains: curated first, then learned');
SELECT results_eq($$SELECT alias_name FROM enterprise.search_mappings(alias_contains => '网页映射另一公司（注销）')$$,
    $$VALUES ('网页映射另一公司'::text)$$, 'or an alias with the same normalized key');
SELECT results_eq($$SELECT alias_name FROM enterprise.search_mappings(normalized_key => enterprise.normalize_name('网页映射公司学到'))$$,
    $$VALUES ('（已转出）网页映射公司学到'::text)$$, 'by exact normalized key');
SELECT is_empty($$SELECT * FROM enterprise.search_mappings(alias_contains => '网页映射', company_id => '675000009')$$,
    'filters are ANDed');
SELECT is((SELECT count(*)::int FROM enterprise.search_mappings(alias_contains => '网页', max_rows => 1)), 1, 'at most max_rows');
SELECT throws_ok($$SELECT * FROM enterprise.search_mappings()$$, '22023',
    'search_mappings: give alias_contains, company_id or normalized_key', 'no filter is refused');
SELECT throws_ok($$SELECT * FROM enterprise.search_mappings(alias_contains => '  ')$$, '22023',
    'search_mappings: give alias_contains, company_id or normalized_key', 'a blank filter is no filter');
SELECT throws_ok($$SELECT * FROM enterprise.search_mappings(company_id => '1', max_rows => 1001)$$, '22023',
    'search_mappings: max_rows must be between 1 and 1000', 'max_rows over 1000 is refused');

-- ------------------------------------------------------------------------------------------ failed_lookups
SELECT results_eq($$SELECT name, attempts, last_error FROM enterprise.failed_lookups()$$,
    $$VALUES ('网页失败公司'::text, 1, 'EQC said 500'::text)$$, 'the failed request with its last error');
SELECT throws_ok($$SELECT * FROM enterprise.failed_lookups(max_rows => -1)$$, '22023',
    'failed_lookups: max_rows must be between 1 and 1000', 'a negative max_rows is refused');
RESET ROLE;

SELECT * FROM finish();
ROLLBACK;
