-- explain_company_id: "why this id?", one row per resolution step; the answer is preview_company_ids's, and
-- nothing is written.
BEGIN;
SELECT plan(52);

-- ---------------------------------------------------------------------------------------------- contract
SELECT has_function('enterprise', 'explain_company_id', ARRAY['text', 'text', 'text', 'text'],
                    'explain_company_id(text, text, text, text) exists');
SELECT function_returns('enterprise', 'explain_company_id', ARRAY['text', 'text', 'text', 'text'], 'setof record',
                        'it returns a set of rows');
SELECT is(pg_get_function_result('enterprise.explain_company_id(text, text, text, text)'::regprocedure),
          'TABLE(step integer, kind text, lookup_key text, hit boolean, answered boolean, alias_name text, '
          'canonical_id text, source text, confidence numeric, updated_at timestamp with time zone, request_id bigint, '
          'request_status text, request_outcome text, attempts integer, next_attempt_at timestamp with time zone, '
          'completed_at timestamp with time zone, last_error text, temp_id text, company_id text, status text, note text)',
          'its columns, in order (the Python model maps them one to one)');
SELECT is((SELECT proargnames[1:4] FROM pg_proc WHERE oid = 'enterprise.explain_company_id(text, text, text, text)'::regprocedure),
          (SELECT proargnames FROM pg_proc WHERE oid = 'enterprise.resolve_company_id(text, text, text, text)'::regprocedure),
          'its parameters are resolve_company_id''s, in the same order (named arguments are the API)');
SELECT is((SELECT pronargdefaults::int FROM pg_proc WHERE oid = 'enterprise.explain_company_id(text, text, text, text)'::regprocedure),
          4, 'every parameter may be left out, like resolve_company_id''s');
SELECT volatility_is('enterprise', 'explain_company_id', ARRAY['text', 'text', 'text', 'text'], 'stable',
                     'it is STABLE: it writes nothing');
SELECT is_definer('enterprise', 'explain_company_id', ARRAY['text', 'text', 'text', 'text'],
                  'it is SECURITY DEFINER (readers cannot read the tables it explains)');
SELECT ok((SELECT 'search_path=pg_catalog, pg_temp' = ANY (proconfig) FROM pg_proc
            WHERE oid = 'enterprise.explain_company_id(text, text, text, text)'::regprocedure),
          'it pins search_path to pg_catalog, pg_temp');
SELECT function_privs_are('enterprise', 'explain_company_id', ARRAY['text', 'text', 'text', 'text'], 'public',
                          ARRAY[]::text[], 'PUBLIC cannot explain');
SELECT function_privs_are('enterprise', 'explain_company_id', ARRAY['text', 'text', 'text', 'text'], 'enrichment_reader',
                          ARRAY['EXECUTE'], 'a reader can explain');
SELECT function_privs_are('enterprise', 'explain_company_id', ARRAY['text', 'text', 'text', 'text'], 'enrichment_worker',
                          ARRAY['EXECUTE'], 'a worker can explain');
SELECT function_privs_are('enterprise', 'explain_company_id', ARRAY['text', 'text', 'text', 'text'], 'enrichment_admin',
                          ARRAY['EXECUTE'], 'an admin can explain');

-- ---------------------------------------------------------------------------------------------- fixtures
SELECT enterprise.upsert_internal_mappings(
    alias_names   => ARRAY['EXPL-PLAN', 'EXPL-ACCT', 'EXPL-HC', 'EXPL-BOTH', 'EXPL-BOTH', '解释测试甲公司', '解释测试账户名'],
    canonical_ids => ARRAY['750000001', '750000002', '750000003', '750000011', '750000013', '750000004', '750000005'],
    match_types   => ARRAY['plan', 'account', 'hardcode', 'plan', 'hardcode', 'name', 'account_name']);
SELECT enterprise.cache_company_mapping(alias_name => '解释测试学到公司', canonical_id => '750000006');
-- A learned name, then a curated mapping of another spelling with the same key: both rows exist.
SELECT enterprise.cache_company_mapping(alias_name => '解释测试被覆盖公司', canonical_id => '750000007');
SELECT enterprise.upsert_internal_mappings(ARRAY['解释测试被覆盖公司（已注销）'], ARRAY['750000008'], ARRAY['name']);
-- Two curated rows of one key (loaded by hand): the most recently updated wins.
INSERT INTO enterprise.company_mapping (alias_name, canonical_id, source, match_type, priority, updated_at, confidence)
VALUES ('解释测试并列公司', '750000021', 'internal', 'name', 4, now() - interval '1 day', 1.00),
       ('解释测试并列公司-注销', '750000022', 'internal', 'name', 4, now(), 1.00);

CREATE TEMP TABLE cases (label text, plan_code text, customer_name text, account_name text, account_number text)
    ON COMMIT DROP;
INSERT INTO cases VALUES
    ('plan',             ' EXPL-PLAN ', NULL, NULL, NULL),
    ('account',          'EXPL-NOPE', NULL, NULL, 'EXPL-ACCT'),
    ('hardcode',         'EXPL-HC', NULL, NULL, NULL),
    ('plan over hc',     'EXPL-BOTH', NULL, NULL, NULL),
    ('name decorated',   NULL, '（已注销）解释测试甲公司 ', NULL, 'EXPL-NOPE'),
    ('account_name',     NULL, NULL, '解释测试账户名-注销', NULL),
    ('learned',          NULL, '解释测试学到公司', NULL, NULL),
    ('curated wins',     NULL, '解释测试被覆盖公司', NULL, NULL),
    ('acct name wins',   NULL, '解释测试学到公司', '解释测试账户名', NULL),
    ('tie',              NULL, '解释测试并列公司', NULL, NULL),
    ('new name',         NULL, '解释测试新公司', NULL, NULL),
    ('record',           'EXPL-NOPE2', NULL, '解释测试无名账户', NULL),
    ('placeholder',      NULL, 'null', NULL, NULL),
    ('nothing',          NULL, NULL, NULL, NULL);
CREATE FUNCTION pg_temp.steps_of(label text) RETURNS SETOF record LANGUAGE sql AS $$
    SELECT e.step, e.kind, e.lookup_key, e.hit, e.answered
      FROM cases AS c, enterprise.explain_company_id(plan_code => c.plan_code, customer_name => c.customer_name,
                                                      account_name => c.account_name, account_number => c.account_number) AS e
     WHERE c.label = steps_of.label ORDER BY e.step $$;
CREATE FUNCTION pg_temp.answer_of(label text) RETURNS SETOF record LANGUAGE sql AS $$
    SELECT e.step, e.kind, e.alias_name, e.canonical_id, e.source, e.company_id, e.status
      FROM cases AS c, enterprise.explain_company_id(plan_code => c.plan_code, customer_name => c.customer_name,
                                                      account_name => c.account_name, account_number => c.account_number) AS e
     WHERE c.label = answer_of.label AND e.answered $$;
CREATE FUNCTION pg_temp.snapshot() RETURNS text LANGUAGE sql AS $$
    SELECT md5(concat_ws('/',
        (SELECT string_agg(m::text, ',' ORDER BY m.alias_name, m.match_type) FROM enterprise.company_mapping AS m),
        (SELECT string_agg(q::text, ',' ORDER BY q.id) FROM enterprise.lookup_requests AS q),
        (SELECT string_agg(t::text, ',' ORDER BY t.temp_key) FROM enterprise.temp_id_assignments AS t),
        (SELECT last_value::text || is_called::text FROM enterprise.temp_id_seq))) $$;
CREATE TEMP TABLE before ON COMMIT DROP AS SELECT pg_temp.snapshot() AS snap;

-- --------------------------------------------------------------------------------- each step, hit and miss
SELECT results_eq($$SELECT * FROM pg_temp.steps_of('plan') AS (s int, k text, key text, hit bool, ans bool)$$,
    $$VALUES (1, 'plan', 'EXPL-PLAN', true, true), (2, 'account', NULL, false, false), (3, 'hardcode', 'EXPL-PLAN', false, false),
             (4, 'name', NULL, false, false), (5, 'account_name', NULL, false, false), (6, 'learned', NULL, false, false),
             (7, 'temp_id', NULL, false, false)$$,
    'plan: seven steps; the trimmed plan code hits a plan mapping; absent inputs have no key');
SELECT results_eq($$SELECT * FROM pg_temp.answer_of('plan') AS (s int, k text, a text, c text, src text, id text, st text)$$,
    $$VALUES (1, 'plan', 'EXPL-PLAN', '750000001', 'internal', '750000001', 'success_internal')$$,
    'the plan step carries the mapping row that answered and the answer');
SELECT ok((SELECT e.confidence = 1.00 AND e.updated_at IS NOT NULL
             FROM enterprise.explain_company_id(plan_code => 'EXPL-PLAN') AS e WHERE e.step = 1),
          'and its confidence and updated_at');
SELECT results_eq($$SELECT * FROM pg_temp.steps_of('account') AS (s int, k text, key text, hit bool, ans bool) WHERE s <= 3$$,
    $$VALUES (1, 'plan', 'EXPL-NOPE', false, false), (2, 'account', 'EXPL-ACCT', true, true), (3, 'hardcode', 'EXPL-NOPE', false, false)$$,
    'account: the plan code misses, the account number hits');
SELECT results_eq($$SELECT * FROM pg_temp.steps_of('hardcode') AS (s int, k text, key text, hit bool, ans bool) WHERE s <= 3$$,
    $$VALUES (1, 'plan', 'EXPL-HC', false, false), (2, 'account', NULL, false, false), (3, 'hardcode', 'EXPL-HC', true, true)$$,
    'hardcode: no plan mapping for the code, a hardcode mapping answers');
SELECT results_eq($$SELECT * FROM pg_temp.steps_of('plan over hc') AS (s int, k text, key text, hit bool, ans bool) WHERE s <= 3$$,
    $$VALUES (1, 'plan', 'EXPL-BOTH', true, true), (2, 'account', NULL, false, false), (3, 'hardcode', 'EXPL-BOTH', true, false)$$,
    'a code with a plan and a hardcode mapping: the plan answers, the hardcode row is shown but shadowed');
SELECT is((SELECT note FROM enterprise.explain_company_id(plan_code => 'EXPL-BOTH') WHERE step = 3),
          'matches, but step 1 answered first', 'the shadowed step says which step answered');
SELECT results_eq($$SELECT * FROM pg_temp.steps_of('name decorated') AS (s int, k text, key text, hit bool, ans bool)$$,
    $$VALUES (1, 'plan', NULL, false, false), (2, 'account', 'EXPL-NOPE', false, false), (3, 'hardcode', NULL, false, false),
             (4, 'name', '解释测试甲公司', true, true), (5, 'account_name', NULL, false, false),
             (6, 'learned', '解释测试甲公司', false, false), (7, 'queue', '解释测试甲公司', false, false)$$,
    'a decorated, blank-padded customer name: its key is the normalized name, and the curated name mapping hits');
SELECT is((SELECT lookup_key FROM enterprise.explain_company_id(customer_name => '（已注销）解释测试甲公司 ') WHERE step = 4),
          enterprise.normalize_name('（已注销）解释测试甲公司 '), 'the name key is normalize_name''s');
SELECT results_eq($$SELECT * FROM pg_temp.answer_of('name decorated') AS (s int, k text, a text, c text, src text, id text, st text)$$,
    $$VALUES (4, 'name', '解释测试甲公司', '750000004', 'internal', '750000004', 'success_internal')$$,
    'the name step shows the alias as loaded');
SELECT results_eq($$SELECT * FROM pg_temp.steps_of('account_name') AS (s int, k text, key text, hit bool, ans bool) WHERE s IN (4, 5)$$,
    $$VALUES (4, 'name', NULL, false, false), (5, 'account_name', '解释测试账户名', true, true)$$,
    'account_name: the normalized account name hits');
SELECT results_eq($$SELECT * FROM pg_temp.steps_of('learned') AS (s int, k text, key text, hit bool, ans bool) WHERE s >= 4$$,
    $$VALUES (4, 'name', '解释测试学到公司', false, false), (5, 'account_name', NULL, false, false),
             (6, 'learned', '解释测试学到公司', true, true), (7, 'queue', '解释测试学到公司', false, false)$$,
    'learned: no curated mapping, a name learned from EQC answers');
SELECT results_eq($$SELECT * FROM pg_temp.answer_of('learned') AS (s int, k text, a text, c text, src text, id text, st text)$$,
    $$VALUES (6, 'learned', '解释测试学到公司', '750000006', 'EQC', '750000006', 'success_external')$$,
    'the learned row: source EQC, success_external');
SELECT is((SELECT note FROM enterprise.explain_company_id(customer_name => '解释测试学到公司') WHERE step = 7),
          'not reached: step 6 answered', 'the final step is not reached');

-- ------------------------------------------------------------------------------------ curated over learned
SELECT results_eq($$SELECT * FROM pg_temp.steps_of('curated wins') AS (s int, k text, key text, hit bool, ans bool) WHERE s IN (4, 6)$$,
    $$VALUES (4, 'name', '解释测试被覆盖公司', true, true), (6, 'learned', '解释测试被覆盖公司', true, false)$$,
    'a learned and a curated row of one key: both hit, the curated one answers');
SELECT results_eq($$SELECT canonical_id, source, company_id, note FROM enterprise.explain_company_id(customer_name => '解释测试被覆盖公司')
                    WHERE step = 6$$,
    $$VALUES ('750000007', 'EQC', NULL::text, 'learned from EQC, but a curated mapping wins (step 4)')$$,
    'the learned row is shown with its id, and why it lost');
SELECT results_eq($$SELECT * FROM pg_temp.answer_of('curated wins') AS (s int, k text, a text, c text, src text, id text, st text)$$,
    $$VALUES (4, 'name', '解释测试被覆盖公司（已注销）', '750000008', 'internal', '750000008', 'success_internal')$$,
    'the answer is the curated id');
SELECT results_eq($$SELECT * FROM pg_temp.steps_of('acct name wins') AS (s int, k text, key text, hit bool, ans bool) WHERE s IN (5, 6)$$,
    $$VALUES (5, 'account_name', '解释测试账户名', true, true), (6, 'learned', '解释测试学到公司', true, false)$$,
    'a curated account_name mapping wins over the customer name learned from EQC');
SELECT results_eq($$SELECT * FROM pg_temp.answer_of('tie') AS (s int, k text, a text, c text, src text, id text, st text)$$,
    $$VALUES (4, 'name', '解释测试并列公司-注销', '750000022', 'internal', '750000022', 'success_internal')$$,
    'two curated rows of one key: the most recently updated is shown, and is the answer');

-- ---------------------------------------------------------------------------------------- the final step
SELECT results_eq($$SELECT kind, lookup_key, hit, answered, request_id, company_id, status, note
                      FROM enterprise.explain_company_id(customer_name => '解释测试新公司') WHERE step = 7$$,
    $$VALUES ('queue', '解释测试新公司', false, true, NULL::bigint, NULL::text, 'pending_lookup',
              'not queued yet: resolving would queue the name for an EQC lookup')$$,
    'a name no mapping knows, not queued: pending_lookup, no request yet');
SELECT results_eq($$SELECT * FROM pg_temp.steps_of('record') AS (s int, k text, key text, hit bool, ans bool) WHERE s = 7$$,
    $$VALUES (7, 'temp_id', 'record|EXPL-NOPE2||解释测试无名账户', false, true)$$,
    'no customer name: a TEMP id keyed on the record''s fields, none assigned yet');
SELECT results_eq($$SELECT * FROM pg_temp.steps_of('placeholder') AS (s int, k text, key text, hit bool, ans bool) WHERE s IN (4, 7)$$,
    $$VALUES (4, 'name', NULL, false, false), (7, 'temp_id', NULL, false, true)$$,
    'a placeholder customer name has no key');
SELECT results_eq($$SELECT kind, answered, temp_id, status, note FROM enterprise.explain_company_id() WHERE step = 7$$,
    $$VALUES ('temp_id', true, NULL::text, 'temp_assigned', 'no field at all: each resolution gives a fresh TEMP id')$$,
    'no field at all: a fresh TEMP id every time');

-- ------------------------------------------------------------------------------------------ no writes
SELECT is((SELECT count(*)::int FROM cases AS c,
                  enterprise.explain_company_id(c.plan_code, c.customer_name, c.account_name, c.account_number)), 14 * 7,
          'every case explained: seven rows each');
SELECT is(pg_temp.snapshot(), (SELECT snap FROM before),
          'explaining wrote nothing: mappings, requests, TEMP assignments and the TEMP sequence are unchanged');

-- ------------------------------------------------------------------------ the answer is the preview's answer
CREATE FUNCTION pg_temp.disagreements() RETURNS SETOF text LANGUAGE sql AS $$
    SELECT c.label
      FROM cases AS c
     CROSS JOIN LATERAL (SELECT * FROM enterprise.preview_company_ids(ARRAY[c.plan_code], ARRAY[c.customer_name],
                                                                    ARRAY[c.account_name], ARRAY[c.account_number])) AS p
     CROSS JOIN LATERAL (SELECT count(*) FILTER (WHERE e.answered) AS answers,
                                min(e.step) FILTER (WHERE e.hit AND e.step <= 6) AS first_hit,
                                min(e.step) FILTER (WHERE e.answered) AS step,
                                min(e.company_id) FILTER (WHERE e.answered) AS company_id,
                                min(e.status) FILTER (WHERE e.answered) AS status,
                                min(e.canonical_id) FILTER (WHERE e.answered) AS canonical_id,
                                min(e.temp_id) FILTER (WHERE e.step = 7) AS temp_id,
                                min(e.request_id) FILTER (WHERE e.step = 7) AS request_id
                           FROM enterprise.explain_company_id(c.plan_code, c.customer_name, c.account_name,
                                                              c.account_number) AS e) AS x
     WHERE x.answers <> 1
        OR x.company_id IS DISTINCT FROM p.company_id OR x.status IS DISTINCT FROM p.status
        OR x.temp_id IS DISTINCT FROM p.temp_id
        OR (p.status = 'pending_lookup' AND x.request_id IS DISTINCT FROM p.request_id)
        OR (p.status LIKE 'success%' AND (x.step IS DISTINCT FROM x.first_hit OR x.canonical_id IS DISTINCT FROM p.company_id))
        OR (p.status NOT LIKE 'success%' AND (x.step <> 7 OR x.first_hit IS NOT NULL)) $$;
SELECT is_empty($$SELECT * FROM pg_temp.disagreements()$$,
    'before resolution: one answered step per case, the first that hits, with exactly the preview''s answer');

-- Resolve everything (queues the new name, assigns the record's TEMP id), then take the queue through its states.
SELECT count(*) FROM cases AS c, enterprise.resolve_company_id(c.plan_code, c.customer_name, c.account_name, c.account_number);
SELECT results_eq($$SELECT hit, e.request_id, request_status, attempts, company_id, status, note
                      FROM enterprise.explain_company_id(customer_name => '解释测试新公司') AS e WHERE step = 7$$,
    $$SELECT true, q.id, 'pending'::text, 0, NULL::text, 'pending_lookup'::text, 'queued: request ' || q.id || ' is pending'
        FROM enterprise.lookup_requests AS q WHERE q.normalized_name = '解释测试新公司'$$,
    'queued: the final step shows the request');
SELECT results_eq($$SELECT hit, e.temp_id, company_id, note FROM enterprise.explain_company_id(plan_code => 'EXPL-NOPE2',
                                                    account_name => '解释测试无名账户') AS e WHERE step = 7$$,
    $$SELECT true, t.temp_id, t.temp_id, 'no customer name: a TEMP id keyed on the plan code, account number and '
                                         'account name; assigned before'
        FROM enterprise.temp_id_assignments AS t WHERE t.temp_key = 'record' || chr(31) || 'EXPL-NOPE2' || chr(31) || chr(31) || '解释测试无名账户'$$,
    'the record''s TEMP id, once assigned, is shown and is the answer');
SELECT is_empty($$SELECT * FROM pg_temp.disagreements()$$, 'after resolution: still the preview''s answer for every case');

SELECT (enterprise.claim_lookup(request_id => id, worker => 'explain:1')).id AS new_request
  FROM enterprise.lookup_requests WHERE normalized_name = '解释测试新公司' \gset
SELECT results_eq($$SELECT request_status, attempts, status FROM enterprise.explain_company_id(customer_name => '解释测试新公司')
                    WHERE step = 7$$,
    $$VALUES ('processing', 1, 'pending_lookup')$$, 'claimed: processing, one attempt');
SELECT enterprise.fail_lookup(request_id => :new_request, worker => 'explain:1', error => 'EQC 503', max_attempts => 1);
SELECT results_eq($$SELECT e.request_id, request_status, last_error, status, note
                      FROM enterprise.explain_company_id(customer_name => '解释测试新公司') AS e WHERE step = 7$$,
    format($$VALUES (%s::bigint, 'failed', 'EQC 503', 'pending_lookup',
                     'request %s failed after 1 attempt(s): it is retried when the name is resolved after failed_retry_after, or by requeue_failed')$$,
           :new_request, :new_request),
    'failed: the request, its error, and when it is retried');
SELECT enterprise.requeue_failed();
SELECT enterprise.claim_lookup(request_id => :new_request, worker => 'explain:1');
SELECT enterprise.complete_lookup_not_found(request_id => :new_request, worker => 'explain:1');
SELECT results_eq($$SELECT kind, hit, e.request_id, request_outcome, e.temp_id = company_id, status, note
                      FROM enterprise.explain_company_id(customer_name => '解释测试新公司') AS e WHERE step = 7$$,
    format($$VALUES ('temp_id', true, %s::bigint, 'not_found', true, 'temp_assigned',
                     'EQC found nothing for this name (request %s): a TEMP id keyed on the name; assigned before')$$,
           :new_request, :new_request),
    'not found: a TEMP id keyed on the name, with the request that found nothing');

SELECT (enterprise.enqueue_lookup(name => '解释测试复核公司')).id AS review_request \gset
SELECT enterprise.claim_lookup(request_id => :review_request, worker => 'explain:1');
SELECT count(*) FROM enterprise.settle_lookups('explain:1', ARRAY[:review_request]::bigint[],
    ARRAY['[{"companyId": "750000031", "companyFullName": "解释测试复核贸易公司", "type": "拼音"}]']::jsonb[]);
SELECT results_eq($$SELECT hit, request_status, status, note
                      FROM enterprise.explain_company_id(customer_name => '解释测试复核公司') WHERE step = 7$$,
    format($$VALUES (true, 'review', 'pending_lookup', 'EQC answered, but not surely enough: request %s waits for a person (review)')$$,
           :review_request),
    'under review: waits for a person');
SELECT enterprise.accept_lookup_candidate(request_id => :review_request, company_id => '750000031');
SELECT results_eq($$SELECT step, kind, canonical_id, company_id, status
                      FROM enterprise.explain_company_id(customer_name => '解释测试复核公司') WHERE answered$$,
    $$VALUES (6, 'learned', '750000031', '750000031', 'success_external')$$,
    'accepted by a person: the learned step answers');
INSERT INTO cases VALUES ('not found', NULL, '解释测试新公司', NULL, NULL), ('reviewed', NULL, '解释测试复核公司', NULL, NULL),
                         ('long name', NULL, repeat('解', 300), NULL, NULL);
SELECT is((SELECT note FROM enterprise.explain_company_id(customer_name => repeat('解', 300)) WHERE step = 7),
          'the name''s key is longer than 255 characters, too long to look up: a TEMP id keyed on the name; '
          'none assigned yet: resolving would assign one',
          'a name too long to look up: a TEMP id keyed on the name');
SELECT is_empty($$SELECT * FROM pg_temp.disagreements()$$,
    'through the queue''s states: still the preview''s answer for every case');

-- -------------------------------------------------------------------------------------------------- roles
DELETE FROM before;
INSERT INTO before SELECT pg_temp.snapshot();
GRANT SELECT ON cases TO enrichment_reader;
SET LOCAL ROLE enrichment_reader;
SELECT results_eq($$SELECT step, company_id FROM enterprise.explain_company_id(customer_name => '解释测试学到公司') WHERE answered$$,
    $$VALUES (6, '750000006')$$, 'a reader can explain');
SELECT is((SELECT count(*)::int FROM cases AS c,
                  enterprise.explain_company_id(c.plan_code, c.customer_name, c.account_name, c.account_number)), 17 * 7,
          'a reader explains every case');
RESET ROLE;
SELECT is(pg_temp.snapshot(), (SELECT snap FROM before), 'and writes nothing either');
CREATE ROLE ce_explain_nobody;
SET LOCAL ROLE ce_explain_nobody;
SELECT throws_ok($$SELECT * FROM enterprise.explain_company_id(plan_code => 'EXPL-PLAN')$$, '42501', NULL,
                 'a role with no grants cannot explain');
RESET ROLE;

SELECT * FROM finish();
ROLLBACK;
