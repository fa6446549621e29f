-- accept_lookup_candidate and reject_lookup: a person settles what the machine should not.
BEGIN;
SELECT plan(27);

SELECT has_function('enterprise', 'accept_lookup_candidate', ARRAY['bigint', 'text', 'boolean'], 'accept_lookup_candidate exists');
SELECT has_function('enterprise', 'reject_lookup', ARRAY['bigint'], 'reject_lookup exists');
SELECT is_definer('enterprise', 'accept_lookup_candidate', ARRAY['bigint', 'text', 'boolean'], 'accept is SECURITY DEFINER');
SELECT is_definer('enterprise', 'reject_lookup', ARRAY['bigint'], 'reject is SECURITY DEFINER');
SELECT function_privs_are('enterprise', 'accept_lookup_candidate', ARRAY['bigint', 'text', 'boolean'], 'enrichment_admin',
                          ARRAY['EXECUTE'], 'an admin may accept');
SELECT function_privs_are('enterprise', 'accept_lookup_candidate', ARRAY['bigint', 'text', 'boolean'], 'enrichment_worker',
                          ARRAY[]::text[], 'a worker may not accept');
SELECT function_privs_are('enterprise', 'reject_lookup', ARRAY['bigint'], 'enrichment_reader', ARRAY[]::text[], 'a reader may not reject');
SELECT has_view('enterprise', 'lookup_review', 'the view lookup_review exists');
SELECT table_privs_are('enterprise', 'lookup_review', 'enrichment_admin', ARRAY['SELECT'], 'an admin reads the review queue');
SELECT table_privs_are('enterprise', 'lookup_review', 'enrichment_reader', ARRAY[]::text[], 'a reader does not');

DELETE FROM enterprise.lookup_requests;
SELECT enterprise.enqueue_lookup(n) FROM unnest(ARRAY['复核甲公司', '复核乙公司', '复核丙公司', '复核丁公司']) n;
SELECT count(*) FROM enterprise.claim_lookups(10, 'w1');
CREATE FUNCTION pg_temp.rid(n text) RETURNS bigint LANGUAGE sql AS $$
    SELECT id FROM enterprise.lookup_requests WHERE normalized_name = n $$;
SELECT count(*) FROM enterprise.settle_lookups('w1',
    ARRAY[pg_temp.rid('复核甲公司'), pg_temp.rid('复核乙公司'), pg_temp.rid('复核丙公司'), pg_temp.rid('复核丁公司')],
    ARRAY['[{"companyId": "790000001", "companyFullName": "复核甲乙集团", "type": "拼音"},
            {"companyId": "790000002", "companyFullName": "复核甲贸易公司", "unite_code": "91X", "type": "拼音"}]',
          '[{"companyId": "790000003", "companyFullName": "复核乙贸易公司", "type": "拼音"}]',
          '[{"companyId": "790000004", "companyFullName": "复核丙贸易公司", "type": "拼音"}]',
          '[{"companyId": "790000005", "companyFullName": "复核丁贸易公司", "type": "拼音"}]']::jsonb[]);

SELECT results_eq($$SELECT name, jsonb_array_length(candidates) FROM enterprise.lookup_review ORDER BY request_id$$,
    $$VALUES ('复核甲公司', 2), ('复核乙公司', 1), ('复核丙公司', 1), ('复核丁公司', 1)$$,
    'the four pinyin answers wait for a person, with their candidates');
SELECT is((SELECT candidates -> 0 FROM enterprise.lookup_review WHERE name = '复核乙公司'),
    '{"company_id": "790000003", "full_name": "复核乙贸易公司", "unite_code": null, "eqc_type": "拼音", "confidence": 0.60}'::jsonb,
    'a candidate: company_id, full_name, unite_code, eqc_type, confidence');

-- Accept the second candidate of 甲.
SELECT results_eq(format($$SELECT status, outcome, company_id, official_name, unite_code
                              FROM enterprise.accept_lookup_candidate(%s, ' 790000002 ')$$, pg_temp.rid('复核甲公司')),
    $$VALUES ('done', 'found', '790000002', '复核甲贸易公司', '91X')$$, 'accepting a candidate settles the request done/found');
SELECT results_eq($$SELECT lookup_key, canonical_id::text, source::text, confidence, eqc_type FROM enterprise.company_mapping
                     WHERE lookup_key IN ('复核甲公司', '复核甲贸易公司') ORDER BY lookup_key$$,
    $$VALUES ('复核甲公司', '790000002', 'EQC', 1.00::numeric, '拼音'::text), ('复核甲贸易公司', '790000002', 'EQC', 1.00, NULL)$$,
    'and learns the name (confidence 1.00: a person chose) and the official name');
SELECT is((SELECT company_id FROM enterprise.resolve_company_id(customer_name => '复核甲公司')), '790000002',
    'the name now resolves to the accepted company');
SELECT is((SELECT count(*)::int FROM enterprise.lookup_review WHERE request_id = pg_temp.rid('复核甲公司')), 0,
    'and leaves the review queue');

-- A company that is not a candidate needs force.
SELECT throws_ok(format($$SELECT enterprise.accept_lookup_candidate(%s, '799999999')$$, pg_temp.rid('复核乙公司')),
    'CE004', 'the company is not one of the request''s candidates', 'another company is refused without force');
SELECT results_eq(format($$SELECT status, company_id, official_name FROM enterprise.accept_lookup_candidate(%s, '790000004', force => true)$$,
                         pg_temp.rid('复核乙公司')),
    $$VALUES ('done', '790000004', '复核丙贸易公司')$$, 'with force it is learned (with what EQC said about that company)');

-- Reject.
SELECT results_eq(format($$SELECT status, outcome, company_id FROM enterprise.reject_lookup(%s)$$, pg_temp.rid('复核丙公司')),
    $$VALUES ('done', 'not_found', NULL::text)$$, 'rejecting settles the request as not found');
SELECT results_eq($$SELECT status, company_id = (SELECT temp_id FROM enterprise.temp_id_assignments
                                                  WHERE temp_key = enterprise._name_temp_key('复核丙公司'))
                      FROM enterprise.resolve_company_id(customer_name => '复核丙公司')$$,
    $$VALUES ('temp_assigned', true)$$, 'and the name resolves to its stable TEMP id, like an EQC not-found');
SELECT is((SELECT count(*)::int FROM enterprise.company_mapping WHERE lookup_key = '复核丙公司'), 0, 'nothing is learned for the name');

-- Decisions that lost a race, and bad input.
SELECT throws_ok(format($$SELECT enterprise.reject_lookup(%s)$$, pg_temp.rid('复核甲公司')),
    'CE003', 'lookup request is not under review', 'a decided request cannot be rejected');
SELECT throws_ok(format($$SELECT enterprise.accept_lookup_candidate(%s, '790000003')$$, pg_temp.rid('复核丙公司')),
    'CE003', 'lookup request is not under review', 'nor accepted');
SELECT throws_ok($$SELECT enterprise.reject_lookup(-1)$$, 'CE002', 'lookup request does not exist', 'an unknown request');
SELECT throws_ok(format($$SELECT enterprise.accept_lookup_candidate(%s, '  ')$$, pg_temp.rid('复核丁公司')),
    '22023', 'invalid company id', 'a blank company id is refused');
SELECT throws_ok(format($$SELECT enterprise.accept_lookup_candidate(%s, %L, force => true)$$, pg_temp.rid('复核丁公司'), repeat('9', 51)),
    '22001', 'invalid company id', 'an over-long company id is refused, even with force');
SELECT results_eq($$SELECT status FROM enterprise.lookup_requests WHERE normalized_name = '复核丁公司'$$,
    $$VALUES ('review')$$, 'and the request is still under review');

SELECT * FROM finish();
ROLLBACK;
