-- next_temp_id and the TEMP id facility.
BEGIN;
SELECT plan(12);

SELECT has_function('enterprise', 'next_temp_id', ARRAY[]::text[], 'next_temp_id() exists');
SELECT function_returns('enterprise', 'next_temp_id', ARRAY[]::text[], 'text', 'it returns text');
SELECT volatility_is('enterprise', 'next_temp_id', ARRAY[]::text[], 'volatile', 'it is VOLATILE');
SELECT is_definer('enterprise', 'next_temp_id', ARRAY[]::text[], 'it is SECURITY DEFINER (callers have no sequence rights)');
SELECT function_privs_are('enterprise', 'next_temp_id', ARRAY[]::text[], 'public', ARRAY[]::text[], 'PUBLIC cannot mint');
SELECT function_privs_are('enterprise', 'next_temp_id', ARRAY[]::text[], 'enrichment_reader', ARRAY[]::text[], 'reader cannot mint directly');
SELECT function_privs_are('enterprise', 'next_temp_id', ARRAY[]::text[], 'enrichment_worker', ARRAY['EXECUTE'], 'worker can mint');
SELECT function_privs_are('enterprise', 'next_temp_id', ARRAY[]::text[], 'enrichment_admin', ARRAY['EXECUTE'], 'admin can mint');

SELECT matches(enterprise.next_temp_id(), '^TEMP_[0-9]{6,}$', 'format is TEMP_ plus at least six digits');
SELECT is((SELECT count(DISTINCT t) FROM (SELECT enterprise.next_temp_id() AS t FROM generate_series(1, 1000)) s), 1000::bigint,
    '1,000 calls give 1,000 distinct ids');
SELECT results_eq($$SELECT enterprise._format_temp_id(n) FROM unnest(ARRAY[1, 42, 999999, 1000000, 12345678]::bigint[]) n$$,
    $$VALUES ('TEMP_000001'), ('TEMP_000042'), ('TEMP_999999'), ('TEMP_1000000'), ('TEMP_12345678')$$,
    'zero-padded to six digits, never truncated past a million');
SELECT throws_ok($$INSERT INTO enterprise.temp_id_assignments (temp_key, temp_id) VALUES ('bad', 'TEMP_12')$$,
    '23514', NULL, 'the table refuses a malformed TEMP id');

SELECT * FROM finish();
ROLLBACK;
