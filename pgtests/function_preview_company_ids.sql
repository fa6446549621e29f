-- preview_company_ids: the plan-only answer, without writes.
BEGIN;
SELECT plan(12);

SELECT has_function('enterprise', 'preview_company_ids', ARRAY['text[]', 'text[]', 'text[]', 'text[]'], 'preview_company_ids(text[] x4) exists');
SELECT volatility_is('enterprise', 'preview_company_ids', ARRAY['text[]', 'text[]', 'text[]', 'text[]'], 'stable', 'it is STABLE: it writes nothing');
SELECT is_definer('enterprise', 'preview_company_ids', ARRAY['text[]', 'text[]', 'text[]', 'text[]'], 'it is SECURITY DEFINER');
SELECT function_privs_are('enterprise', 'preview_company_ids', ARRAY['text[]', 'text[]', 'text[]', 'text[]'], 'public', ARRAY[]::text[], 'PUBLIC cannot preview');
SELECT function_privs_are('enterprise', 'preview_company_ids', ARRAY['text[]', 'text[]', 'text[]', 'text[]'], 'enrichment_reader', ARRAY['EXECUTE'], 'reader can preview');
SELECT throws_ok($$SELECT * FROM enterprise.preview_company_ids(ARRAY['a'], ARRAY['b', 'c'])$$, '22023',
    'preview_company_ids: the input arrays must be one-dimensional and of equal length', 'arrays of different lengths are refused');

SELECT enterprise.upsert_internal_mappings(ARRAY['PV-PLAN', '预览客户'], ARRAY['740000001', '740000002'], ARRAY['plan', 'name']);
CREATE TEMP TABLE input ON COMMIT DROP AS
SELECT ARRAY['PV-PLAN', NULL, NULL, 'PV-NONAME', NULL, NULL] AS plans,
       ARRAY[NULL, '预览客户', '预览新客户', NULL, '预览新客户', NULL] AS names;
CREATE TEMP TABLE counts ON COMMIT DROP AS
SELECT (SELECT count(*) FROM enterprise.lookup_requests) AS requests, (SELECT count(*) FROM enterprise.temp_id_assignments) AS temps,
       (SELECT last_value FROM enterprise.temp_id_seq) AS seq;

SELECT results_eq($$SELECT ordinal, company_id, status, source, temp_id, request_id
                      FROM enterprise.preview_company_ids(plan_codes => (SELECT plans FROM input), customer_names => (SELECT names FROM input))$$,
    $$VALUES (1::bigint, '740000001', 'success_internal', 'plan', NULL::text, NULL::bigint),
             (2, '740000002', 'success_internal', 'name', NULL, NULL),
             (3, NULL, 'pending_lookup', 'queued', NULL, NULL),
             (4, NULL, 'temp_assigned', 'generated', NULL, NULL),
             (5, NULL, 'pending_lookup', 'queued', NULL, NULL),
             (6, NULL, 'temp_assigned', 'generated', NULL, NULL)$$,
    'before resolution: statuses as resolution would give them, no ids it would have to create');
SELECT results_eq($$SELECT (SELECT count(*) FROM enterprise.lookup_requests), (SELECT count(*) FROM enterprise.temp_id_assignments),
                           (SELECT last_value FROM enterprise.temp_id_seq)$$,
    $$SELECT requests, temps, seq FROM counts$$, 'nothing was queued, remembered or minted');

CREATE TEMP TABLE resolved ON COMMIT DROP AS
SELECT * FROM enterprise.resolve_company_ids(plan_codes => (SELECT plans FROM input), customer_names => (SELECT names FROM input));
SELECT results_eq($$SELECT ordinal, status, source FROM enterprise.preview_company_ids(plan_codes => (SELECT plans FROM input), customer_names => (SELECT names FROM input))$$,
    $$SELECT ordinal, status, source FROM resolved ORDER BY ordinal$$, 'the statuses are the ones resolution then gives');
SELECT results_eq($$SELECT ordinal, company_id, temp_id, request_id
                      FROM enterprise.preview_company_ids(plan_codes => (SELECT plans FROM input), customer_names => (SELECT names FROM input))
                     WHERE ordinal <> 6$$,
    $$SELECT ordinal, company_id, temp_id, request_id FROM resolved WHERE ordinal <> 6 ORDER BY ordinal$$,
    'after resolution the preview shows the same ids (the empty record 6 gets a fresh id each time)');
SELECT is((SELECT company_id FROM enterprise.preview_company_ids(customer_names => ARRAY['预览新客户'])),
          NULL, 'a pending name has no company id in the preview either');
SELECT is((SELECT request_id FROM enterprise.preview_company_ids(customer_names => ARRAY['预览新客户'])),
          (SELECT request_id FROM resolved WHERE ordinal = 3), 'and shows its request');

SELECT * FROM finish();
ROLLBACK;
