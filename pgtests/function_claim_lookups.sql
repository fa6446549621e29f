-- claim_lookups and claim_lookup: order, leases, crash recovery, argument errors.
BEGIN;
SELECT plan(23);

DELETE FROM enterprise.lookup_requests;
-- Five requests, due at different times; one not due yet.
INSERT INTO enterprise.lookup_requests (name, normalized_name, next_attempt_at)
VALUES ('甲', '甲', now() - interval '5 minutes'),
       ('乙', '乙', now() - interval '10 minutes'),
       ('丙', '丙', now() - interval '1 minute'),
       ('丁', '丁', now() + interval '1 hour'),
       ('戊', '戊', now() - interval '3 minutes');

SELECT throws_ok($$SELECT * FROM enterprise.claim_lookups(0, 'w1')$$, '22023', 'batch_size must be between 1 and 500', 'batch_size 0 is refused');
SELECT throws_ok($$SELECT * FROM enterprise.claim_lookups(501, 'w1')$$, '22023', 'batch_size must be between 1 and 500', 'batch_size 501 is refused');
SELECT throws_ok($$SELECT * FROM enterprise.claim_lookups(NULL, 'w1')$$, '22023', 'batch_size must be between 1 and 500', 'a NULL batch_size is refused');
SELECT throws_ok($$SELECT * FROM enterprise.claim_lookups(1, '  ')$$, '22023', 'invalid worker name', 'a blank worker is refused');
SELECT throws_ok($$SELECT * FROM enterprise.claim_lookups(1, 'w1', interval '0')$$, '22023', 'lease must be longer than 0 and at most 1 day', 'a zero lease is refused');
SELECT is((SELECT count(*) FROM enterprise.lookup_requests WHERE status <> 'pending'), 0::bigint, 'refused claims changed nothing');

SELECT results_eq($$SELECT name FROM enterprise.claim_lookups(3, 'w1') ORDER BY next_attempt_at$$,
    $$VALUES ('乙'), ('甲'), ('戊')$$, 'the three oldest due requests are claimed');
SELECT results_eq($$SELECT DISTINCT status, lease_owner, attempts, lease_expires_at = now() + interval '5 minutes'
                      FROM enterprise.lookup_requests WHERE name IN ('甲', '乙', '戊')$$,
    $$VALUES ('processing', 'w1', 1, true)$$, 'claimed: processing, owned by w1, attempts 1, default lease of 5 minutes');
SELECT results_eq($$SELECT name FROM enterprise.claim_lookups(10, 'w2', interval '30 seconds')$$,
    $$VALUES ('丙')$$, 'the next worker gets only what is left and due');
SELECT is((SELECT lease_expires_at FROM enterprise.lookup_requests WHERE name = '丙'), now() + interval '30 seconds',
    'a lease given by the caller is used');
SELECT is_empty($$SELECT * FROM enterprise.claim_lookups(10, 'w3')$$, 'nothing due: nothing claimed (丁 is not due)');

-- Crash recovery: w1's lease expires; the next claim takes its requests over.
UPDATE enterprise.lookup_requests SET lease_expires_at = now() - interval '1 second' WHERE lease_owner = 'w1';
SELECT results_eq($$SELECT name, lease_owner, attempts FROM enterprise.claim_lookups(10, 'w3') ORDER BY name$$,
    $$VALUES ('乙', 'w3', 2), ('戊', 'w3', 2), ('甲', 'w3', 2)$$, 'expired leases are claimed again, attempts + 1');
SELECT throws_ok($$SELECT enterprise.complete_lookup((SELECT id FROM enterprise.lookup_requests WHERE name = '甲'), 'w1', '700000001')$$,
    'CE001', 'lookup request is not held by this worker', 'the vanished worker''s late completion is refused');

-- An expired lease on the last attempt ends in failed, not in another round.
UPDATE enterprise.lookup_requests SET attempts = 3, lease_expires_at = now() - interval '1 second' WHERE name = '甲';
SELECT is_empty($$SELECT * FROM enterprise.claim_lookups(10, 'w4') WHERE name = '甲'$$, 'a request out of attempts is not handed out');
SELECT results_eq($$SELECT status, lease_owner, last_error FROM enterprise.lookup_requests WHERE name = '甲'$$,
    $$VALUES ('failed', NULL::text, 'lease of w3 expired on its last attempt')$$, 'it is failed, saying why');

-- claim_lookup: one given request, only if claimable now.
SELECT is_empty($$SELECT * FROM enterprise.claim_lookup((SELECT id FROM enterprise.lookup_requests WHERE name = '丁'), 'w5')$$,
    'a request that is not due is not claimed');
SELECT is_empty($$SELECT * FROM enterprise.claim_lookup((SELECT id FROM enterprise.lookup_requests WHERE name = '丙'), 'w5')$$,
    'a request another worker holds is not claimed');
UPDATE enterprise.lookup_requests SET next_attempt_at = now() WHERE name = '丁';
SELECT results_eq($$SELECT name, status, lease_owner, attempts FROM enterprise.claim_lookup((SELECT id FROM enterprise.lookup_requests WHERE name = '丁'), 'w5')$$,
    $$VALUES ('丁', 'processing', 'w5', 1)$$, 'a due request is claimed');
SELECT is_empty($$SELECT * FROM enterprise.claim_lookup(-1, 'w5')$$, 'an unknown id claims nothing');

-- The claim query walks the partial claim index, not the table, even with
-- a long history of done requests (counters of this transaction's scans).
INSERT INTO enterprise.lookup_requests (name, normalized_name, status, outcome, company_id, completed_at)
SELECT '历史' || i, '历史' || i, 'done', 'found', '700000000', now() - interval '1 day'
  FROM generate_series(1, 20000) i;
ANALYZE enterprise.lookup_requests;
CREATE TEMP TABLE scans ON COMMIT DROP AS
SELECT pg_stat_get_xact_numscans('enterprise.lookup_requests_claim_idx'::regclass) AS index_scans,
       pg_stat_get_xact_numscans('enterprise.lookup_requests'::regclass) AS table_scans;
SELECT * FROM enterprise.claim_lookups(5, 'w6');
SELECT cmp_ok(pg_stat_get_xact_numscans('enterprise.lookup_requests_claim_idx'::regclass), '>', (SELECT index_scans FROM scans),
    'claim_lookups scanned the claim index');
SELECT is(pg_stat_get_xact_numscans('enterprise.lookup_requests'::regclass), (SELECT table_scans FROM scans),
    'and did not scan the table');
SELECT is((SELECT count(*) FROM enterprise.lookup_requests WHERE status = 'processing'), 4::bigint,
    'four requests are processing: 乙 戊 (w3), 丙 (w2), 丁 (w5)');
SELECT is((SELECT count(DISTINCT lease_owner) FROM enterprise.lookup_requests WHERE status = 'processing'), 3::bigint,
    'held by three workers');

SELECT * FROM finish();
ROLLBACK;
