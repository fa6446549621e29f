-- lookup_requests_answered_meanwhile: a request queued while another request for
-- its name was settled takes that answer at the end of the inserting statement.
BEGIN;
SELECT plan(8);

SELECT trigger_is('enterprise', 'lookup_requests', 'lookup_requests_answered_meanwhile',
    'enterprise', '_settle_answered_meanwhile', 'the trigger runs _settle_answered_meanwhile()');
SELECT is((SELECT tgtype::int & 1 = 0 AND tgtype::int & 2 = 0 AND tgtype::int & 4 = 4
             FROM pg_trigger WHERE tgname = 'lookup_requests_answered_meanwhile'),
          true, 'it fires AFTER INSERT, once per statement');
SELECT is((SELECT tgnewtable FROM pg_trigger WHERE tgname = 'lookup_requests_answered_meanwhile'),
          'queued'::name, 'it reads the statement''s rows as transition table queued');
SELECT ok(NOT has_function_privilege('public', 'enterprise._settle_answered_meanwhile()', 'EXECUTE'),
    'PUBLIC cannot call the trigger function');

-- The BEFORE INSERT check would skip these inserts outright; with it off, this
-- stands for an insert that passed the check and then waited on the index.
ALTER TABLE enterprise.lookup_requests DISABLE TRIGGER lookup_requests_skip_settled;

-- Answers given "since the statement began": completed in the future.
INSERT INTO enterprise.lookup_requests (name, normalized_name, status, outcome, company_id, official_name, completed_at)
VALUES ('pgtap答复期间甲', 'pgtap答复期间甲', 'done', 'found', '790000001', '甲公司', now() + interval '1 hour'),
       ('pgtap答复期间乙', 'pgtap答复期间乙', 'done', 'not_found', NULL, NULL, now() + interval '1 hour'),
       ('pgtap答复以前丙', 'pgtap答复以前丙', 'done', 'not_found', NULL, NULL, now() - interval '1 hour');

INSERT INTO enterprise.lookup_requests (name, normalized_name)
VALUES ('pgtap答复期间甲', 'pgtap答复期间甲'), ('pgtap答复期间乙', 'pgtap答复期间乙'),
       ('pgtap答复以前丙', 'pgtap答复以前丙'), ('pgtap无人答复丁', 'pgtap无人答复丁');

SELECT results_eq($$
    SELECT status, outcome, company_id, official_name, attempts
      FROM enterprise.lookup_requests WHERE normalized_name = 'pgtap答复期间甲' ORDER BY id DESC LIMIT 1$$,
    $$VALUES ('done'::text, 'found'::text, '790000001'::text, '甲公司'::text, 0)$$,
    'a name found meanwhile: the new request is done with that company, never attempted');
SELECT results_eq($$
    SELECT status, outcome, attempts, completed_at = (SELECT min(completed_at) FROM enterprise.lookup_requests
                                                      WHERE normalized_name = 'pgtap答复期间乙')
      FROM enterprise.lookup_requests WHERE normalized_name = 'pgtap答复期间乙' ORDER BY id DESC LIMIT 1$$,
    $$VALUES ('done'::text, 'not_found'::text, 0, true)$$,
    'a name not found meanwhile: the new request is done, not found, as of that answer');
SELECT results_eq($$
    SELECT status FROM enterprise.lookup_requests
     WHERE normalized_name IN ('pgtap答复以前丙', 'pgtap无人答复丁') AND status <> 'done' ORDER BY normalized_name$$,
    $$VALUES ('pending'::text), ('pending'::text)$$,
    'a name answered before the statement began, or not at all, stays queued');
SELECT is((SELECT count(*)::int FROM enterprise.lookup_requests
            WHERE normalized_name LIKE 'pgtap%' AND status = 'done' AND attempts = 0
              AND normalized_name IN ('pgtap答复期间甲', 'pgtap答复期间乙')),
          4, 'the earlier answers are untouched beside the two settled copies');

SELECT * FROM finish();
ROLLBACK;
