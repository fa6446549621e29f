-- enqueue_lookup: dedupe per normalized name, errors, and what resolution queues.
BEGIN;
SELECT plan(15);

DELETE FROM enterprise.lookup_requests;

SELECT results_eq($$SELECT name, normalized_name, status, attempts, lease_owner FROM enterprise.enqueue_lookup('  入队测试有限公司 ')$$,
    $$VALUES ('入队测试有限公司', '入队测试有限公司', 'pending', 0, NULL::text)$$, 'a new name becomes a pending request');
SELECT is((enterprise.enqueue_lookup('入队测试有限公司（已转出）')).id,
          (SELECT id FROM enterprise.lookup_requests WHERE normalized_name = '入队测试有限公司'),
    'the same normalized name returns the existing request');
SELECT is((SELECT count(*) FROM enterprise.lookup_requests), 1::bigint, 'and queues nothing new');

SELECT throws_ok($$SELECT enterprise.enqueue_lookup('N/A')$$, '22023', 'the name has an empty lookup key', 'a placeholder is refused');
SELECT throws_ok($$SELECT enterprise.enqueue_lookup(NULL)$$, '22023', 'the name has an empty lookup key', 'NULL is refused');
SELECT throws_ok($$SELECT enterprise.enqueue_lookup('  ')$$, '22023', 'the name has an empty lookup key', 'a blank is refused');
SELECT throws_ok($$SELECT enterprise.enqueue_lookup(repeat('长', 256))$$, '22001', 'the name is longer than 255 characters', 'an oversized name is refused');

-- Resolution queues through the same dedupe.
SELECT is((enterprise.resolve_company_id(customer_name => '入队测试有限公司')).request_id,
          (SELECT id FROM enterprise.lookup_requests WHERE normalized_name = '入队测试有限公司'),
    'resolve returns the existing request');
SELECT is((SELECT count(*) FROM enterprise.resolve_company_ids(customer_names => ARRAY['批量入队甲', '批量入队乙', ' 批量入队甲 ', '批量入队乙-注销'])
            WHERE status = 'pending_lookup'), 4::bigint, 'a batch with repeated names answers pending for every row');
SELECT is((SELECT count(*) FROM enterprise.lookup_requests WHERE normalized_name LIKE '批量入队%'), 2::bigint,
    'and queues each normalized name once');
SELECT results_eq($$SELECT name FROM enterprise.lookup_requests WHERE normalized_name LIKE '批量入队%' ORDER BY id$$,
    $$SELECT n FROM unnest(ARRAY['批量入队甲', '批量入队乙']) n ORDER BY n COLLATE "C"$$,
    'spelled as first seen, queued in key order (so concurrent batches never deadlock)');
SELECT is((SELECT count(DISTINCT request_id) FROM enterprise.resolve_company_ids(customer_names => ARRAY['批量入队甲', '批量入队甲'])),
    1::bigint, 'rows with one name share one request id');
SELECT is((enterprise.resolve_company_id(customer_name => repeat('长', 256))).status, 'temp_assigned',
    'a name too long to cache is not queued: it gets a TEMP id');
SELECT is((SELECT count(*) FROM enterprise.lookup_requests WHERE normalized_name LIKE '长长%'), 0::bigint, 'nothing was queued for it');
SELECT is((enterprise.resolve_company_id(customer_name => '入队测试有限公司', plan_code => 'FP0001')).request_id, NULL::bigint,
    'a record resolved by a mapping queues nothing');

SELECT * FROM finish();
ROLLBACK;
