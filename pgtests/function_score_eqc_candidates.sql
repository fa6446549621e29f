-- score_eqc_candidates and configure_eqc_match_score: every scoring rule, the admin's scores, malformed answers.
BEGIN;
SELECT plan(29);

SELECT has_function('enterprise', 'score_eqc_candidates', ARRAY['text', 'jsonb'], 'score_eqc_candidates(text, jsonb) exists');
SELECT volatility_is('enterprise', 'score_eqc_candidates', ARRAY['text', 'jsonb'], 'stable', 'it is STABLE');
SELECT is_definer('enterprise', 'score_eqc_candidates', ARRAY['text', 'jsonb'], 'it is SECURITY DEFINER (the scores are private)');
SELECT function_privs_are('enterprise', 'score_eqc_candidates', ARRAY['text', 'jsonb'], 'enrichment_reader', ARRAY['EXECUTE'],
                          'a reader may score');
SELECT function_privs_are('enterprise', 'score_eqc_candidates', ARRAY['text', 'jsonb'], 'public', ARRAY[]::text[],
                          'PUBLIC may not');
SELECT function_privs_are('enterprise', 'configure_eqc_match_score', ARRAY['text', 'numeric'], 'enrichment_admin', ARRAY['EXECUTE'],
                          'an admin may change the scores');
SELECT function_privs_are('enterprise', 'configure_eqc_match_score', ARRAY['text', 'numeric'], 'enrichment_worker', ARRAY[]::text[],
                          'a worker may not');

-- The rules, one candidate each.
SELECT results_eq($$SELECT eqc_type, confidence FROM enterprise.score_eqc_candidates('评分甲公司',
    '[{"companyId": "1", "companyFullName": "评分乙公司", "type": "全称精确匹配"}]')$$,
    $$VALUES ('全称精确匹配'::text, 1.00::numeric)$$, '全称精确匹配 scores 1.00');
SELECT results_eq($$SELECT eqc_type, confidence FROM enterprise.score_eqc_candidates('评分甲公司',
    '[{"companyId": "1", "companyFullName": "评分乙公司", "type": "模糊匹配"}]')$$,
    $$VALUES ('模糊匹配'::text, 0.80::numeric)$$, '模糊匹配 scores 0.80');
SELECT results_eq($$SELECT eqc_type, confidence FROM enterprise.score_eqc_candidates('评分甲公司',
    '[{"companyId": "1", "companyFullName": "评分乙公司", "type": "拼音"}]')$$,
    $$VALUES ('拼音'::text, 0.60::numeric)$$, '拼音 scores 0.60');
SELECT results_eq($$SELECT eqc_type, confidence FROM enterprise.score_eqc_candidates('评分甲公司',
    '[{"companyId": "1", "companyFullName": "评分乙公司"}, {"companyId": "2", "companyFullName": "评分丙公司", "type": "联想"}]')$$,
    $$VALUES (NULL::text, 0.70::numeric), ('联想', 0.70)$$, 'no type, or an unknown type, scores 0.70');
SELECT results_eq($$SELECT company_id, confidence FROM enterprise.score_eqc_candidates('（已注销）评分 甲公司',
    '[{"companyId": "1", "companyFullName": "评分乙公司", "type": "全称精确匹配"}, {"companyId": "2", "companyFullName": "「评分甲公司」", "type": "拼音"}]')$$,
    $$VALUES ('1'::text, 1.00::numeric), ('2', 1.00)$$,
    'a full name that normalizes to the name scores 1.00 whatever its type; ties keep EQC''s order');
SELECT results_eq($$SELECT rank, company_id, full_name, unite_code FROM enterprise.score_eqc_candidates('评分甲公司',
    '[{"companyId": 614810477, "companyFullName": " 评分丁公司 ", "unite_code": "9144X", "type": "拼音"}, {"companyId": "2", "companyFullName": "评分甲公司"}]')$$,
    $$VALUES (2::bigint, '2'::text, '评分甲公司'::text, NULL::text), (1, '614810477', '评分丁公司', '9144X')$$,
    'best first, with EQC''s rank; a numeric companyId is read as text, values trimmed');

-- An admin changes the scores.
SELECT results_eq($$SELECT confidence FROM enterprise.configure_eqc_match_score('拼音', 0.30) WHERE eqc_type = '拼音'$$,
    $$VALUES (0.30::numeric)$$, 'an admin lowers 拼音 to 0.30');
SELECT results_eq($$SELECT confidence FROM enterprise.score_eqc_candidates('评分甲公司',
    '[{"companyId": "1", "companyFullName": "评分乙公司", "type": "拼音"}]')$$,
    $$VALUES (0.30::numeric)$$, 'and scoring follows at once');
SELECT is((SELECT count(*)::int FROM enterprise.configure_eqc_match_score()), 4, 'no arguments: the scores are only listed');
SELECT throws_ok($$SELECT * FROM enterprise.configure_eqc_match_score('拼音', 1.5)$$, '22023', 'invalid EQC match score',
                 'a confidence above 1 is refused');

-- Malformed answers: a clear error naming the candidate.
SELECT throws_ok($$SELECT * FROM enterprise.score_eqc_candidates('x公司', '{"companyId": "1"}')$$, '22023',
                 'EQC''s candidates must be a JSON array', 'an object instead of a list is refused');
SELECT throws_ok($$SELECT * FROM enterprise.score_eqc_candidates('x公司', '[{"companyFullName": "x公司"}]')$$, '22023',
                 'an EQC candidate has no companyId', 'a candidate without companyId is refused');
SELECT throws_ok($$SELECT * FROM enterprise.score_eqc_candidates('x公司', '[{"companyId": null, "companyFullName": "x公司"}]')$$, '22023',
                 'an EQC candidate has no companyId', 'a NULL companyId is refused');
SELECT throws_ok(format($$SELECT * FROM enterprise.score_eqc_candidates('x公司', '[{"companyId": "%s", "companyFullName": "x公司"}]')$$, repeat('9', 51)),
                 '22001', 'companyId is longer than 50 characters', 'an oversized companyId is refused');
SELECT throws_ok(format($$SELECT * FROM enterprise.score_eqc_candidates('x公司', '[{"companyId": "1", "companyFullName": "%s"}]')$$, repeat('名', 1001)),
                 '22001', 'companyFullName is longer than 1000 characters', 'an oversized name is refused');
SELECT throws_ok($$SELECT * FROM enterprise.score_eqc_candidates('x公司', '[{"companyId": "1", "companyFullName": "a公司"}, {"companyId": " 1", "companyFullName": "b公司"}]')$$,
                 '22023', 'EQC listed one company twice', 'one company twice is refused');
SELECT throws_ok($$SELECT * FROM enterprise.score_eqc_candidates('x公司', '["x公司"]')$$, '22023',
                 'an EQC candidate must be a JSON object', 'a candidate that is not an object is refused');

-- Which fault is named (0.5.2 finds it in one pass after a flat check): within an answer its shape first, then its
-- first invalid candidate, then a company listed twice (the first such company in EQC's order); across answers the
-- first answer with a fault.
CREATE FUNCTION pg_temp.detail_of(q text) RETURNS text LANGUAGE plpgsql AS $f$
DECLARE
    _d text;
BEGIN
    EXECUTE q;
    RETURN 'no error';
EXCEPTION WHEN OTHERS THEN
    GET STACKED DIAGNOSTICS _d = PG_EXCEPTION_DETAIL;
    RETURN SQLERRM || ' / ' || _d;
END
$f$;
SELECT is(pg_temp.detail_of(format($$SELECT * FROM enterprise.score_eqc_candidates('x公司', %L)$$,
              (SELECT jsonb_agg(jsonb_build_object('companyFullName', 'x公司')) FROM generate_series(1, 101)))),
          'too many EQC candidates / answer 1 is 101 candidates',
          'an answer of 101 invalid candidates: its size is named, not its first candidate');
SELECT is(pg_temp.detail_of($$SELECT * FROM enterprise.score_eqc_candidates('x公司',
              '[{"companyId": "1", "companyFullName": "a公司"}, {"companyId": "1", "companyFullName": "b公司"}, {"companyFullName": "c公司"}]')$$),
          'an EQC candidate has no companyId / candidate 3: {"companyFullName": "c公司"}',
          'an invalid candidate is named before a company listed twice, whatever their order');
SELECT is(pg_temp.detail_of($$SELECT * FROM enterprise.score_eqc_candidates('x公司',
              '[{"companyId": "7", "companyFullName": "a公司"}, {"companyId": "5", "companyFullName": "b公司"},
                {"companyId": "5", "companyFullName": "c公司"}, {"companyId": "7", "companyFullName": "d公司"}]')$$),
          'EQC listed one company twice / companyId ''7'' at candidates 1, 4',
          'of two companies listed twice, the one EQC listed first is named, with every rank it has');
SELECT is(pg_temp.detail_of($$SELECT * FROM enterprise._score_candidates(ARRAY['x公司', 'y公司', 'z公司'],
              ARRAY['[]', '[{"companyId": "1", "companyFullName": "y公司"}]',
                    '[{"companyId": "2", "companyFullName": "z公司"}, {"companyId": "2", "companyFullName": "z公司"}]']::jsonb[])$$),
          'EQC listed one company twice / answer 3, companyId ''2'' at candidates 1, 2',
          'several answers: the faulty one is named by its position');
SELECT results_eq($$SELECT ordinal, rank, company_id, confidence = 1.00 FROM enterprise._score_candidates(ARRAY['x公司', 'y公司'],
                      ARRAY['[]', '[{"companyId": "1", "companyFullName": "y公司"}, {"companyId": "2", "companyFullName": "别的公司"}]']::jsonb[])$$,
                  $$VALUES (2::bigint, 1::bigint, '1'::text, true), (2, 2, '2', false)$$,
                  'an empty answer beside a valid one passes the check and scores nothing');

SELECT * FROM finish();
ROLLBACK;
