-- renew_lookup_leases: a worker extends the leases it still holds, and only those.
BEGIN;
SELECT plan(17);

SELECT has_function('enterprise', 'renew_lookup_leases', ARRAY['text', 'bigint[]', 'interval'],
                    'renew_lookup_leases(text, bigint[], interval) exists');
SELECT function_returns('enterprise', 'renew_lookup_leases', ARRAY['text', 'bigint[]', 'interval'], 'setof bigint',
                        'it returns the renewed ids');
SELECT volatility_is('enterprise', 'renew_lookup_leases', ARRAY['text', 'bigint[]', 'interval'], 'volatile',
                     'it is VOLATILE');
SELECT is_definer('enterprise', 'renew_lookup_leases', ARRAY['text', 'bigint[]', 'interval'], 'it is SECURITY DEFINER');
SELECT function_privs_are('enterprise', 'renew_lookup_leases', ARRAY['text', 'bigint[]', 'interval'],
                          'enrichment_worker', ARRAY['EXECUTE'], 'a worker may renew');
SELECT function_privs_are('enterprise', 'renew_lookup_leases', ARRAY['text', 'bigint[]', 'interval'],
                          'enrichment_reader', ARRAY[]::text[], 'a reader may not renew');

DELETE FROM enterprise.lookup_requests;
SELECT enterprise.enqueue_lookup(n) FROM unnest(ARRAY['续租甲', '续租乙', '续租丙', '续租丁']) n;
SELECT count(*) FROM enterprise.claim_lookups(3, 'w1', lease => interval '1 minute');
SELECT count(*) FROM enterprise.claim_lookups(3, 'w2', lease => interval '1 minute');
CREATE FUNCTION pg_temp.rid(n text) RETURNS bigint LANGUAGE sql AS $$
    SELECT id FROM enterprise.lookup_requests WHERE normalized_name = n $$;

SELECT results_eq($$SELECT * FROM enterprise.renew_lookup_leases('w1', lease => interval '10 minutes')$$,
    $$SELECT id FROM enterprise.lookup_requests WHERE lease_owner = 'w1' ORDER BY id$$,
    'without ids, every request the worker holds is renewed, in id order');
SELECT ok((SELECT bool_and(lease_expires_at = now() + interval '10 minutes') FROM enterprise.lookup_requests
            WHERE lease_owner = 'w1'), '... until now() + lease');
SELECT is((SELECT lease_expires_at FROM enterprise.lookup_requests WHERE lease_owner = 'w2'), now() + interval '1 minute',
    'another worker''s lease is untouched');

-- The default lease is queue_settings.default_lease (5 minutes).
SELECT results_eq(format('SELECT * FROM enterprise.renew_lookup_leases(%L, ARRAY[%s, %s, -1])', 'w1',
                         pg_temp.rid('续租甲'), pg_temp.rid('续租丁')),
    format('VALUES (%s::bigint)', pg_temp.rid('续租甲')),
    'with ids, only those the worker holds are renewed (续租丁 is w2''s, -1 does not exist)');
SELECT is((SELECT lease_expires_at FROM enterprise.lookup_requests WHERE normalized_name = '续租甲'),
          now() + interval '5 minutes', 'the default lease is queue_settings.default_lease');

-- A lease that ran out but that nobody took over is still held, and renewable.
UPDATE enterprise.lookup_requests SET lease_expires_at = now() - interval '1 second' WHERE normalized_name = '续租乙';
SELECT results_eq(format('SELECT * FROM enterprise.renew_lookup_leases(%L, ARRAY[%s])', 'w1', pg_temp.rid('续租乙')),
    format('VALUES (%s::bigint)', pg_temp.rid('续租乙')), 'an expired lease nobody took over is renewed');

-- Once taken over or settled, it is not the worker's any more.
UPDATE enterprise.lookup_requests SET lease_expires_at = now() - interval '1 second' WHERE normalized_name = '续租乙';
SELECT is((SELECT count(*)::int FROM enterprise.claim_lookups(10, 'w2')), 1, 'w2 takes over the expired 续租乙');
SELECT is((enterprise.complete_lookup(pg_temp.rid('续租丙'), 'w1', '730000001')).status, 'done', 'w1 settles 续租丙');
SELECT is_empty(format('SELECT * FROM enterprise.renew_lookup_leases(%L, ARRAY[%s, %s])', 'w1',
                       pg_temp.rid('续租乙'), pg_temp.rid('续租丙')),
    'a request taken over or settled is not renewed');

SELECT throws_ok($$SELECT * FROM enterprise.renew_lookup_leases(' ')$$, '22023', NULL, 'a blank worker is refused');
SELECT throws_ok($$SELECT * FROM enterprise.renew_lookup_leases('w1', lease => interval '0')$$, '22023',
                 'lease must be longer than 0 and at most 1 day', 'a zero lease is refused');

SELECT * FROM finish();
ROLLBACK;
