-- acquire_eqc_permit: the EQC rate limit shared by every worker and process.
BEGIN;
SELECT plan(13);

SELECT has_function('enterprise', 'acquire_eqc_permit', ARRAY['integer', 'text'], 'acquire_eqc_permit(integer, text) exists');
SELECT function_returns('enterprise', 'acquire_eqc_permit', ARRAY['integer', 'text'], 'double precision', 'it returns seconds to wait');
SELECT volatility_is('enterprise', 'acquire_eqc_permit', ARRAY['integer', 'text'], 'volatile', 'it is VOLATILE');
SELECT is_definer('enterprise', 'acquire_eqc_permit', ARRAY['integer', 'text'], 'it is SECURITY DEFINER');
SELECT function_privs_are('enterprise', 'acquire_eqc_permit', ARRAY['integer', 'text'], 'public', ARRAY[]::text[], 'PUBLIC cannot take permits');
SELECT function_privs_are('enterprise', 'acquire_eqc_permit', ARRAY['integer', 'text'], 'enrichment_reader', ARRAY[]::text[], 'reader cannot take permits');
SELECT function_privs_are('enterprise', 'acquire_eqc_permit', ARRAY['integer', 'text'], 'enrichment_worker', ARRAY['EXECUTE'], 'worker can take permits');

SELECT is(enterprise.acquire_eqc_permit(10, 'pgtap'), 0::double precision, 'the first request may go at once');
SELECT ok(enterprise.acquire_eqc_permit(10, 'pgtap') BETWEEN 5.9 AND 6.0, 'the next must wait about 6 s at 10 a minute');
SELECT is(enterprise.acquire_eqc_permit(10, 'pgtap-other'), 0::double precision, 'buckets are independent');
UPDATE enterprise.eqc_rate_limit SET next_allowed_at = clock_timestamp() - interval '1 second' WHERE bucket = 'pgtap';
SELECT is(enterprise.acquire_eqc_permit(10, 'pgtap'), 0::double precision, 'once the spacing has passed, the next may go');
SELECT throws_ok($$SELECT enterprise.acquire_eqc_permit(0)$$, '22023', 'invalid rate limit', 'a rate of 0 is refused');
SELECT throws_ok($$SELECT enterprise.acquire_eqc_permit(10, '')$$, '22023', 'invalid rate limit', 'an empty bucket is refused');

SELECT * FROM finish();
ROLLBACK;
