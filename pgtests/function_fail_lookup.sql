-- fail_lookup, release_lookups, requeue_failed, and resolving a name whose
-- request failed terminally.
BEGIN;
SELECT plan(22);

DELETE FROM enterprise.lookup_requests;
SELECT enterprise.enqueue_lookup(n) FROM unnest(ARRAY['失败甲', '失败乙', '失败丙', '释放甲', '释放乙']) n;
SELECT count(*) FROM enterprise.claim_lookups(10, 'w1');
CREATE FUNCTION pg_temp.rid(n text) RETURNS bigint LANGUAGE sql AS $$
    SELECT id FROM enterprise.lookup_requests WHERE normalized_name = n ORDER BY id DESC LIMIT 1 $$;

-- Retry-After is honoured.
SELECT results_eq($$SELECT status, attempts, last_error, next_attempt_at = now() + interval '42 seconds', lease_owner
                      FROM enterprise.fail_lookup(pg_temp.rid('失败甲'), 'w1', 'EQC 429', retry_after => interval '42 seconds')$$,
    $$VALUES ('pending', 1, 'EQC 429', true, NULL::text)$$, 'a failure with retry_after is pending again after exactly that');
-- Otherwise exponential backoff with jitter: attempt 1 -> 50..100 % of the base.
SELECT ok((SELECT next_attempt_at BETWEEN now() + interval '150 seconds' AND now() + interval '300 seconds'
             FROM enterprise.fail_lookup(pg_temp.rid('失败乙'), 'w1', 'EQC 500')),
    'first backoff: 150..300 s from a 300 s base');
UPDATE enterprise.lookup_requests SET next_attempt_at = now() WHERE id = pg_temp.rid('失败乙');
SELECT count(*) FROM enterprise.claim_lookups(10, 'w1');
SELECT ok((SELECT next_attempt_at BETWEEN now() + interval '300 seconds' AND now() + interval '600 seconds'
             FROM enterprise.fail_lookup(pg_temp.rid('失败乙'), 'w1', 'EQC 500')),
    'second backoff doubles: 300..600 s');
UPDATE enterprise.lookup_requests SET next_attempt_at = now() WHERE id = pg_temp.rid('失败乙');
SELECT count(*) FROM enterprise.claim_lookups(10, 'w1');
SELECT ok((SELECT next_attempt_at BETWEEN now() + interval '5 seconds' AND now() + interval '10 seconds'
             FROM enterprise.fail_lookup(pg_temp.rid('失败乙'), 'w1', 'EQC 500', max_attempts => 5, backoff_base => interval '2.5 seconds')),
    'per-call overrides of max_attempts and backoff_base are used');
UPDATE enterprise.lookup_requests SET next_attempt_at = now() WHERE id = pg_temp.rid('失败乙');
SELECT count(*) FROM enterprise.claim_lookups(10, 'w1');
SELECT results_eq($$SELECT status, attempts, last_error, lease_owner FROM enterprise.fail_lookup(pg_temp.rid('失败乙'), 'w1', 'EQC 503')$$,
    $$VALUES ('failed', 4, 'EQC 503', NULL::text)$$, 'at max_attempts (default 3) the request fails, keeping the error');
SELECT throws_ok($$SELECT enterprise.fail_lookup(pg_temp.rid('失败乙'), 'w1', 'again')$$,
    'CE001', 'lookup request is not held by this worker', 'failing a failed request is refused');
SELECT throws_ok($$SELECT enterprise.fail_lookup(pg_temp.rid('失败丙'), 'w2', 'not mine')$$,
    'CE001', 'lookup request is not held by this worker', 'failing a request someone else holds is refused');
SELECT throws_ok($$SELECT enterprise.fail_lookup(pg_temp.rid('失败丙'), 'w1', 'x', retry_after => interval '-1 second')$$,
    '22023', 'invalid retry policy', 'a negative retry_after is refused');
SELECT is((enterprise.complete_lookup(pg_temp.rid('失败丙'), 'w1', '720000003')).status, 'done', 'settle 失败丙');
SELECT throws_ok($$SELECT enterprise.fail_lookup(pg_temp.rid('失败丙'), 'w1', 'late')$$,
    'CE001', 'lookup request is not held by this worker', 'failing a done request is refused');

-- Release: back to pending without spending an attempt.
SELECT is(enterprise.release_lookups('w2'), 0, 'a worker holding nothing releases nothing');
SELECT is(enterprise.release_lookups('w1', ARRAY[pg_temp.rid('释放甲')]), 1, 'releasing one given request');
SELECT results_eq($$SELECT status, attempts, lease_owner, next_attempt_at <= now() FROM enterprise.lookup_requests WHERE id = pg_temp.rid('释放甲')$$,
    $$VALUES ('pending', 0, NULL::text, true)$$, 'released: pending, due now, attempt given back');
SELECT is(enterprise.release_lookups('w1'), 1, 'releasing everything else the worker holds (释放乙)');

-- Resolving a name whose request failed: no duplicate, no bypass.
SELECT results_eq($$SELECT status, request_id FROM enterprise.resolve_company_id(customer_name => '失败乙')$$,
    $$SELECT 'pending_lookup', pg_temp.rid('失败乙')$$, 'a failed name answers pending_lookup with the failed request''s id');
SELECT results_eq($$SELECT status, count(*) FROM enterprise.lookup_requests WHERE normalized_name = '失败乙' GROUP BY status$$,
    $$VALUES ('failed', 1::bigint)$$, 'it is neither duplicated nor retried before failed_retry_after');
UPDATE enterprise.lookup_requests SET last_failed_at = now() - interval '8 days' WHERE id = pg_temp.rid('失败乙');
SELECT results_eq($$SELECT status, request_id FROM enterprise.resolve_company_ids(customer_names => ARRAY['失败乙'])$$,
    $$SELECT 'pending_lookup', pg_temp.rid('失败乙')$$, 'after failed_retry_after (7 days) resolving it again ...');
SELECT results_eq($$SELECT status, attempts FROM enterprise.lookup_requests WHERE normalized_name = '失败乙'$$,
    $$VALUES ('pending', 0)$$, '... revives the same request with fresh attempts');

-- requeue_failed: the operator's retry.
UPDATE enterprise.lookup_requests SET status = 'failed', last_failed_at = now() - interval '2 hours', last_error = 'x'
 WHERE id = pg_temp.rid('失败乙');
SELECT is(enterprise.requeue_failed(interval '3 hours'), 0, 'requeue_failed skips failures younger than older_than');
SELECT is(enterprise.requeue_failed(), 1, 'requeue_failed() requeues every failed request');
SELECT throws_ok($$SELECT enterprise.requeue_failed(interval '-1 hour')$$, '22023', 'older_than must not be negative', 'a negative older_than is refused');

-- Retry-After is capped at backoff_cap.
SELECT enterprise.enqueue_lookup('失败戊');
SELECT count(*) FROM enterprise.claim_lookups(10, 'w9');
SELECT is((SELECT next_attempt_at FROM enterprise.fail_lookup(pg_temp.rid('失败戊'), 'w9', 'EQC 429',
                                                              retry_after => interval '100 years')),
          now() + interval '6 hours', 'an absurd Retry-After is capped at backoff_cap (6 hours)');

SELECT * FROM finish();
ROLLBACK;
