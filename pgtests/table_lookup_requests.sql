-- lookup_requests and queue_settings: columns, keys, indexes, constraints.
BEGIN;
SELECT plan(17);

SELECT has_table('enterprise', 'lookup_requests', 'enterprise.lookup_requests exists');
SELECT columns_are('enterprise', 'lookup_requests',
    ARRAY['id', 'name', 'normalized_name', 'status', 'attempts', 'last_error', 'created_at', 'updated_at',
          'next_attempt_at', 'lease_owner', 'lease_expires_at', 'outcome', 'company_id', 'official_name',
          'unite_code', 'completed_at', 'last_failed_at', 'claimable_at', 'candidates'],
    'it has the queue columns');
SELECT col_is_pk('enterprise', 'lookup_requests', 'id', 'id is the primary key');
SELECT has_index('enterprise', 'lookup_requests', 'lookup_requests_active_name_key', 'dedupe index exists');
SELECT index_is_unique('enterprise', 'lookup_requests', 'lookup_requests_active_name_key', 'the dedupe index is unique');
SELECT is(pg_get_expr(i.indpred, i.indrelid), '(status = ANY (ARRAY[''pending''::text, ''processing''::text]))',
          'the dedupe index covers pending and processing requests only')
  FROM pg_index i WHERE i.indexrelid = 'enterprise.lookup_requests_active_name_key'::regclass;
SELECT is(pg_get_expr(i.indpred, i.indrelid), '(status = ANY (ARRAY[''pending''::text, ''processing''::text]))',
          'the claim index is partial: done and failed rows never enter it')
  FROM pg_index i WHERE i.indexrelid = 'enterprise.lookup_requests_claim_idx'::regclass;

DELETE FROM enterprise.lookup_requests;
INSERT INTO enterprise.lookup_requests (name, normalized_name) VALUES ('表测试', '表测试');
SELECT throws_ok($$INSERT INTO enterprise.lookup_requests (name, normalized_name) VALUES ('表测试 ', '表测试')$$,
    '23505', NULL, 'a second live request for one name is refused');
SELECT lives_ok($$INSERT INTO enterprise.lookup_requests (name, normalized_name, status, outcome, completed_at)
                  VALUES ('表测试', '表测试', 'done', 'not_found', now())$$, 'a done request beside a live one is fine');
SELECT throws_ok($$INSERT INTO enterprise.lookup_requests (name, normalized_name, status) VALUES ('x', 'x', 'lost')$$,
    '23514', NULL, 'an unknown status is refused');
SELECT throws_ok($$INSERT INTO enterprise.lookup_requests (name, normalized_name, status) VALUES ('x', 'x', 'processing')$$,
    '23514', NULL, 'processing without a lease is refused');
SELECT throws_ok($$INSERT INTO enterprise.lookup_requests (name, normalized_name, status, completed_at) VALUES ('x', 'x', 'done', now())$$,
    '23514', NULL, 'done without an outcome is refused');
SELECT throws_ok($$INSERT INTO enterprise.lookup_requests (name, normalized_name, status, outcome, completed_at)
                   VALUES ('x', 'x', 'done', 'found', now())$$,
    '23514', NULL, 'found without a company id is refused');
SELECT results_eq($$SELECT status, claimable_at = next_attempt_at FROM enterprise.lookup_requests WHERE status = 'pending'$$,
    $$VALUES ('pending', true)$$, 'a pending request is claimable at its next attempt time');

SELECT has_table('enterprise', 'queue_settings', 'enterprise.queue_settings exists');
SELECT results_eq($$SELECT max_attempts, backoff_base, default_lease, negative_cache_period FROM enterprise.queue_settings$$,
    $$VALUES (3, interval '300 seconds', interval '5 minutes', interval '30 days')$$, 'default policy: 3 attempts, 300 s base, 5 min lease, 30 days');
SELECT throws_ok($$INSERT INTO enterprise.queue_settings DEFAULT VALUES$$, '23505', NULL, 'there is only one settings row');

SELECT * FROM finish();
ROLLBACK;
