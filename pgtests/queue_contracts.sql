-- The lookup queue's public functions: signature, return type, volatility,
-- SECURITY DEFINER, and who may call them (PUBLIC and each role).
BEGIN;
SELECT plan(144);

CREATE TEMP TABLE contract (fn name, args name[], returns text, reader boolean, worker boolean, admin boolean) ON COMMIT DROP;
INSERT INTO contract VALUES
    ('enqueue_lookup', ARRAY['text'], 'enterprise.lookup_requests', false, true, false),
    ('claim_lookups', ARRAY['integer', 'text', 'interval', 'integer'], 'setof enterprise.lookup_requests', false, true, false),
    ('claim_lookup', ARRAY['bigint', 'text', 'interval'], 'setof enterprise.lookup_requests', false, true, false),
    ('complete_lookup', ARRAY['bigint', 'text', 'text', 'text', 'text'], 'enterprise.lookup_requests', false, true, false),
    ('complete_lookup_not_found', ARRAY['bigint', 'text'], 'enterprise.lookup_requests', false, true, false),
    ('complete_lookups', ARRAY['text', 'bigint[]', 'text[]', 'text[]', 'text[]', 'integer', 'interval', 'integer'], 'setof enterprise.lookup_requests', false, true, false),
    ('fail_lookup', ARRAY['bigint', 'text', 'text', 'interval', 'integer', 'interval'], 'enterprise.lookup_requests', false, true, false),
    ('release_lookups', ARRAY['text', 'bigint[]'], 'integer', false, true, false),
    ('renew_lookup_leases', ARRAY['text', 'bigint[]', 'interval'], 'setof bigint', false, true, false),
    ('requeue_failed', ARRAY['interval'], 'integer', false, false, true),
    ('prune_lookup_requests', ARRAY['interval', 'integer', 'bigint'], 'bigint', false, false, true),
    ('configure_lookup_queue', ARRAY['integer', 'interval', 'interval', 'interval', 'interval', 'interval', 'numeric', 'text'], 'enterprise.queue_settings', false, false, true),
    ('configure_eqc_match_score', ARRAY['text', 'numeric'], 'setof enterprise.eqc_match_scores', false, false, true),
    ('settle_lookups', ARRAY['text', 'bigint[]', 'jsonb[]', 'integer', 'interval', 'integer'], 'setof enterprise.lookup_requests', false, true, false),
    ('accept_lookup_candidate', ARRAY['bigint', 'text', 'boolean'], 'enterprise.lookup_requests', false, false, true),
    ('reject_lookup', ARRAY['bigint'], 'enterprise.lookup_requests', false, false, true),
    ('cache_company_mapping', ARRAY['text', 'text', 'text'], 'text', false, true, false),
    ('next_temp_id', ARRAY[]::name[], 'text', false, true, true);

SELECT has_function('enterprise', fn, args, format('%s(%s) exists', fn, array_to_string(args, ', '))) FROM contract ORDER BY fn;
SELECT function_returns('enterprise', fn, args, returns, format('%s returns %s', fn, returns)) FROM contract ORDER BY fn;
SELECT volatility_is('enterprise', fn, args, 'volatile', format('%s is VOLATILE', fn)) FROM contract ORDER BY fn;
SELECT is_definer('enterprise', fn, args, format('%s is SECURITY DEFINER', fn)) FROM contract ORDER BY fn;
SELECT function_privs_are('enterprise', fn, args, 'public', ARRAY[]::text[], format('PUBLIC cannot call %s', fn)) FROM contract ORDER BY fn;
SELECT function_privs_are('enterprise', fn, args, 'enrichment_reader', CASE WHEN reader THEN ARRAY['EXECUTE'] ELSE ARRAY[]::text[] END,
                          format('reader %s call %s', CASE WHEN reader THEN 'may' ELSE 'may not' END, fn)) FROM contract ORDER BY fn;
SELECT function_privs_are('enterprise', fn, args, 'enrichment_worker', CASE WHEN worker THEN ARRAY['EXECUTE'] ELSE ARRAY[]::text[] END,
                          format('worker %s call %s', CASE WHEN worker THEN 'may' ELSE 'may not' END, fn)) FROM contract ORDER BY fn;
SELECT function_privs_are('enterprise', fn, args, 'enrichment_admin', CASE WHEN admin THEN ARRAY['EXECUTE'] ELSE ARRAY[]::text[] END,
                          format('admin %s call %s', CASE WHEN admin THEN 'may' ELSE 'may not' END, fn)) FROM contract ORDER BY fn;

SELECT * FROM finish();
ROLLBACK;
