-- prune_lookup_requests, the lookup_queue_stats view and configure_lookup_queue.
-- (That each batch starts at the cursor, in linear work, is pyclient/tests/test_prune_lookup_requests.py.)
BEGIN;
SELECT plan(20);

DELETE FROM enterprise.lookup_requests;
-- 25 old found, 5 old not_found (out of the negative cache), 3 recent
-- not_found (still the negative cache), 2 recent found, 4 pending, 1 failed.
INSERT INTO enterprise.lookup_requests (name, normalized_name, status, outcome, company_id, completed_at)
SELECT '旧' || i, '旧' || i, 'done', 'found', '730000000', now() - interval '40 days' FROM generate_series(1, 25) i;
INSERT INTO enterprise.lookup_requests (name, normalized_name, status, outcome, completed_at)
SELECT '旧无' || i, '旧无' || i, 'done', 'not_found', now() - interval '40 days' FROM generate_series(1, 5) i;
INSERT INTO enterprise.lookup_requests (name, normalized_name, status, outcome, completed_at)
SELECT '近无' || i, '近无' || i, 'done', 'not_found', now() - interval '20 days' FROM generate_series(1, 3) i;
INSERT INTO enterprise.lookup_requests (name, normalized_name, status, outcome, company_id, completed_at, updated_at)
SELECT '近' || i, '近' || i, 'done', 'found', '730000001', now() - interval '10 minutes', now() FROM generate_series(1, 2) i;
INSERT INTO enterprise.lookup_requests (name, normalized_name, created_at)
SELECT '待' || i, '待' || i, now() - (i || ' hours')::interval FROM generate_series(1, 4) i;
INSERT INTO enterprise.lookup_requests (name, normalized_name, status, attempts, last_error, last_failed_at)
VALUES ('败', '败', 'failed', 3, 'EQC 500', now() - interval '5 minutes');
SELECT count(*) FROM enterprise.claim_lookups(1, 'w1');
UPDATE enterprise.lookup_requests SET lease_expires_at = now() - interval '1 second' WHERE status = 'processing';

SELECT results_eq($$SELECT pending, due, processing, done, found, not_found, failed, expired_leases,
                           failures_last_hour, done_last_hour, oldest_pending_age = interval '4 hours'
                      FROM enterprise.lookup_queue_stats$$,
    $$VALUES (3::bigint, 3::bigint, 1::bigint, 35::bigint, 27::bigint, 8::bigint, 1::bigint, 1::bigint, 1::bigint, 2::bigint, true)$$,
    'the stats view counts by status, due, expired leases, failures and done in the last hour, oldest pending age');

SELECT throws_ok($$SELECT enterprise.prune_lookup_requests(NULL)$$, '22023', 'invalid prune arguments', 'older_than NULL is refused');
SELECT throws_ok($$SELECT enterprise.prune_lookup_requests(interval '1 day', 0)$$, '22023', 'invalid prune arguments', 'batch_size 0 is refused');
SELECT is(enterprise.prune_lookup_requests(interval '30 days', batch_size => 7, max_rows => 10), 10::bigint,
    'max_rows bounds one call');
SELECT is(enterprise.prune_lookup_requests(interval '30 days', batch_size => 7), 20::bigint,
    'the rest goes in batches of 7');
SELECT is(enterprise.prune_lookup_requests(interval '1 day'), 0::bigint,
    'not_found answers inside the negative-cache period are kept');
SELECT results_eq($$SELECT status, count(*) FROM enterprise.lookup_requests GROUP BY status ORDER BY status$$,
    $$VALUES ('done', 5::bigint), ('failed', 1::bigint), ('pending', 3::bigint), ('processing', 1::bigint)$$,
    'only done requests were pruned');

SELECT is(enterprise.prune_lookup_requests(interval '0', max_rows => 0), 0::bigint, 'max_rows 0 deletes nothing');

-- The index the prune cursor walks.
SELECT has_index('enterprise', 'lookup_requests', 'lookup_requests_completed_id_idx', ARRAY['completed_at', 'id'],
    'done requests are indexed by (completed_at, id)');
SELECT hasnt_index('enterprise', 'lookup_requests', 'lookup_requests_completed_idx', 'which replaced the (completed_at) index');

-- Ties: 30 done requests at three completion times, ten each, ids interleaved; three in ten are not_found
-- answers still inside the negative cache, kept while the found ones around them go. Batches of 4 end
-- inside runs of equal completed_at.
DELETE FROM enterprise.lookup_requests WHERE status = 'done';
INSERT INTO enterprise.lookup_requests (name, normalized_name, status, outcome, company_id, completed_at)
SELECT '同时' || i, '同时' || i, 'done',
       CASE WHEN i % 10 < 3 THEN 'not_found' ELSE 'found' END,
       CASE WHEN i % 10 < 3 THEN NULL ELSE '730000002' END,
       now() - make_interval(days => 2 + 3 * (i % 3))
  FROM generate_series(1, 30) AS i;
CREATE TEMP TABLE kept ON COMMIT DROP AS
SELECT id FROM enterprise.lookup_requests WHERE status = 'done' AND outcome = 'not_found';
SELECT is(enterprise.prune_lookup_requests(interval '1 day', batch_size => 4, max_rows => 9), 9::bigint,
    'ties: max_rows stops inside a run of equal completed_at');
SELECT is(enterprise.prune_lookup_requests(interval '1 day', batch_size => 4), 12::bigint,
    'ties: the next call deletes the rest, none twice');
SELECT results_eq($$SELECT id FROM enterprise.lookup_requests WHERE status = 'done' ORDER BY id$$,
    $$SELECT id FROM kept ORDER BY id$$,
    'ties: exactly the negative-cache answers are left, none lost among the tied rows');

-- configure_lookup_queue.
SELECT results_eq($$SELECT max_attempts, backoff_base, default_lease FROM enterprise.configure_lookup_queue(max_attempts => 5, default_lease => interval '2 minutes')$$,
    $$VALUES (5, interval '300 seconds', interval '2 minutes')$$, 'configure changes what it is given and keeps the rest');
SELECT is((SELECT lease_expires_at FROM enterprise.claim_lookups(1, 'w2')), now() + interval '2 minutes', 'claims use the new default lease');
SELECT throws_ok($$SELECT enterprise.configure_lookup_queue(max_attempts => 0)$$, '22023', 'invalid queue settings', 'max_attempts 0 is refused');
SELECT throws_ok($$SELECT enterprise.configure_lookup_queue(backoff_base => interval '2 days')$$, '22023', 'invalid queue settings', 'a base above the cap is refused');
SELECT is((SELECT max_attempts FROM enterprise.queue_settings), 5, 'a refused change leaves the settings as they were');

-- Who may read the stats.
SET LOCAL ROLE enrichment_reader;
SELECT lives_ok($$SELECT * FROM enterprise.lookup_queue_stats$$, 'a reader can read the queue stats');
SELECT throws_ok($$SELECT * FROM enterprise.lookup_requests$$, '42501', NULL, 'but not the requests');
RESET ROLE;

SELECT * FROM finish();
ROLLBACK;
