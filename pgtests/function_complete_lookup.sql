-- complete_lookup and complete_lookup_not_found: atomic caching, lease checks,
-- and what resolution answers afterwards (including the negative cache).
BEGIN;
SELECT plan(21);

DELETE FROM enterprise.lookup_requests;
SELECT enterprise.upsert_internal_mappings(ARRAY['人工完成公司'], ARRAY['710000009'], ARRAY['name']);
SELECT enterprise.enqueue_lookup(n) FROM unnest(ARRAY['完成甲公司', '完成乙公司', '人工完成公司', '完成丙公司']) n;
SELECT count(*) FROM enterprise.claim_lookups(10, 'w1');

CREATE FUNCTION pg_temp.rid(n text) RETURNS bigint LANGUAGE sql AS $$
    SELECT id FROM enterprise.lookup_requests WHERE normalized_name = n ORDER BY id DESC LIMIT 1 $$;

-- Found.
SELECT results_eq($$SELECT status, outcome, company_id, official_name, unite_code, lease_owner, attempts
                      FROM enterprise.complete_lookup(pg_temp.rid('完成甲公司'), 'w1', '710000001', '完成甲股份有限公司', '91310000X')$$,
    $$VALUES ('done', 'found', '710000001', '完成甲股份有限公司', '91310000X', NULL::text, 1)$$, 'complete_lookup settles the request as found');
SELECT results_eq($$SELECT alias_name::text, canonical_id::text, source::text FROM enterprise.company_mapping
                     WHERE lookup_key IN ('完成甲公司', '完成甲股份有限公司') ORDER BY alias_name$$,
    $$VALUES ('完成甲公司', '710000001', 'EQC'), ('完成甲股份有限公司', '710000001', 'EQC')$$,
    'the queued name and EQC''s official name are cached as learned mappings');
SELECT results_eq($$SELECT company_id, status, source FROM enterprise.resolve_company_id(customer_name => '完成甲公司（已转出）')$$,
    $$VALUES ('710000001', 'success_external', 'EQC')$$, 'the name now resolves from the learned mapping');

SELECT throws_ok($$SELECT enterprise.complete_lookup(pg_temp.rid('完成甲公司'), 'w1', '710000001')$$,
    'CE001', 'lookup request is not held by this worker', 'completing a done request is refused');
SELECT throws_ok($$SELECT enterprise.complete_lookup(pg_temp.rid('完成乙公司'), 'w2', '710000002')$$,
    'CE001', 'lookup request is not held by this worker', 'completing a request another worker holds is refused');
SELECT throws_ok($$SELECT enterprise.complete_lookup(-1, 'w1', '710000002')$$,
    'CE002', 'lookup request does not exist', 'completing an unknown request is refused');
SELECT throws_ok($$SELECT enterprise.complete_lookup(pg_temp.rid('完成乙公司'), 'w1', '   ')$$,
    '22023', 'canonical_id is empty', 'an empty canonical id is refused');
SELECT results_eq($$SELECT status, lease_owner FROM enterprise.lookup_requests WHERE id = pg_temp.rid('完成乙公司')$$,
    $$VALUES ('processing', 'w1')$$, 'refused completions changed nothing');
SELECT is((SELECT count(*) FROM enterprise.company_mapping WHERE lookup_key = '完成乙公司'), 0::bigint, 'and cached nothing');

-- A curated name is never overwritten by EQC's answer.
SELECT is((enterprise.complete_lookup(pg_temp.rid('人工完成公司'), 'w1', '719999999')).status, 'done',
    'completing a name that gained a curated mapping still settles the request');
SELECT results_eq($$SELECT canonical_id::text, source::text FROM enterprise.company_mapping WHERE lookup_key = '人工完成公司'$$,
    $$VALUES ('710000009', 'internal')$$, 'and leaves the curated row alone');

-- An expired lease nobody took over may still be completed by its owner.
UPDATE enterprise.lookup_requests SET lease_expires_at = now() - interval '1 minute' WHERE id = pg_temp.rid('完成丙公司');
SELECT is((enterprise.complete_lookup(pg_temp.rid('完成丙公司'), 'w1', '710000003')).outcome, 'found',
    'an expired but untaken lease can still be completed');

-- Not found, and the negative cache.
SELECT results_eq($$SELECT status, outcome, company_id, lease_owner FROM enterprise.complete_lookup_not_found(pg_temp.rid('完成乙公司'), 'w1')$$,
    $$VALUES ('done', 'not_found', NULL::text, NULL::text)$$, 'complete_lookup_not_found settles as not_found');
SELECT isnt_empty($$SELECT 1 FROM enterprise.temp_id_assignments WHERE temp_key = enterprise._name_temp_key('完成乙公司')$$,
    'the name''s TEMP id is minted with the answer, so the next resolution mints nothing');
SELECT throws_ok($$SELECT enterprise.complete_lookup_not_found(pg_temp.rid('完成乙公司'), 'w1')$$,
    'CE001', 'lookup request is not held by this worker', 'settling it twice is refused');
SELECT results_eq($$SELECT status, source, request_id, company_id ~ '^TEMP_[0-9]{6,}$' FROM enterprise.resolve_company_id(customer_name => '完成乙公司')$$,
    $$VALUES ('temp_assigned', 'generated', NULL::bigint, true)$$, 'a name EQC does not know resolves to a TEMP id');
SELECT is((enterprise.resolve_company_id(customer_name => ' 完成乙公司-注销')).temp_id,
          (enterprise.resolve_company_id(customer_name => '完成乙公司')).temp_id, 'the same TEMP id every time, keyed on the normalized name');
SELECT is((SELECT count(*) FROM enterprise.lookup_requests WHERE normalized_name = '完成乙公司'), 1::bigint,
    'and it is not queued again');
SELECT is((SELECT temp_id FROM enterprise.resolve_company_ids(customer_names => ARRAY['完成乙公司'])),
          (enterprise.resolve_company_id(customer_name => '完成乙公司')).temp_id, 'the batch path agrees');

-- After the negative-cache period it is looked up again.
UPDATE enterprise.lookup_requests SET completed_at = now() - interval '31 days' WHERE normalized_name = '完成乙公司';
SELECT is((enterprise.resolve_company_id(customer_name => '完成乙公司')).status, 'pending_lookup',
    'after negative_cache_period the name is queued again');
SELECT is((SELECT count(*) FROM enterprise.lookup_requests WHERE normalized_name = '完成乙公司' AND status = 'pending'), 1::bigint,
    'as one new pending request');

SELECT * FROM finish();
ROLLBACK;
