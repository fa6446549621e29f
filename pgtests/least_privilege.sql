-- Least privilege, exercised as each role (issue 6): what readers, workers, admins and PUBLIC may and may
-- not do; nobody but the owner writes a table; SECURITY DEFINER functions pin search_path; and no function
-- can be hijacked by objects a caller puts earlier on its search_path.
BEGIN;
SELECT plan(79);

-- Fixtures, as the owner, inside this transaction.
SELECT is((SELECT inserted::int FROM enterprise.upsert_internal_mappings(
              alias_names   => ARRAY['CE_LP_PLAN', 'ce最小权限测试公司'],
              canonical_ids => ARRAY['600000111', '600000222'],
              match_types   => ARRAY['plan', 'name'])), 2, 'fixtures: a curated plan and a curated name');
SELECT (enterprise.enqueue_lookup(name => 'ce最小权限测试公司')).id AS ce_request \gset
CREATE ROLE ce_nobody;                       -- what PUBLIC gets: nothing granted
CREATE ROLE ce_attacker IN ROLE enrichment_reader;
CREATE SCHEMA ce_evil AUTHORIZATION ce_attacker;

-- ---------------------------------------------------------------------------------------- the grant matrix
-- Exactly these public functions per role (private helpers are covered by security.sql).
SELECT set_eq(
    $$SELECT p.proname::text FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
       WHERE n.nspname = 'enterprise' AND p.proname NOT LIKE '\_%'
         AND has_function_privilege('enrichment_reader', p.oid, 'EXECUTE')$$,
    ARRAY['resolve_company_id', 'resolve_company_ids', 'preview_company_ids', 'explain_company_id', 'normalize_name',
          'score_eqc_candidates', 'company_profiles', 'schema_version', 'mapping_history', 'mapping_change_sets',
          'review_requests', 'search_mappings', 'failed_lookups'],
    'enrichment_reader may execute exactly the resolution functions (explain too), normalize_name, scoring, profiles, the version, the mapping history and the web console''s read functions');
SELECT set_eq(
    $$SELECT p.proname::text FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
       WHERE n.nspname = 'enterprise' AND p.proname NOT LIKE '\_%'
         AND has_function_privilege('enrichment_worker', p.oid, 'EXECUTE')$$,
    ARRAY['resolve_company_id', 'resolve_company_ids', 'preview_company_ids', 'explain_company_id', 'normalize_name',
          'score_eqc_candidates', 'company_profiles', 'schema_version', 'mapping_history', 'mapping_change_sets',
          'review_requests', 'search_mappings', 'failed_lookups',
          'enqueue_lookup', 'claim_lookups', 'claim_lookup', 'complete_lookup', 'complete_lookups',
          'complete_lookup_not_found', 'fail_lookup', 'release_lookups', 'renew_lookup_leases', 'settle_lookups',
          'cache_company_mapping', 'next_temp_id', 'acquire_eqc_permit'],
    'enrichment_worker may execute exactly reader + queue, cache, TEMP ids and the rate limiter');
SELECT set_eq(
    $$SELECT p.proname::text FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
       WHERE n.nspname = 'enterprise' AND p.proname NOT LIKE '\_%'
         AND has_function_privilege('enrichment_admin', p.oid, 'EXECUTE')$$,
    ARRAY['resolve_company_id', 'resolve_company_ids', 'preview_company_ids', 'explain_company_id', 'normalize_name',
          'score_eqc_candidates', 'company_profiles', 'schema_version', 'mapping_history', 'mapping_change_sets',
          'review_requests', 'search_mappings', 'failed_lookups',
          'upsert_internal_mappings', 'revert_mapping_change_set', 'requeue_failed', 'prune_lookup_requests', 'configure_lookup_queue',
          'configure_eqc_match_score', 'accept_lookup_candidate', 'reject_lookup', 'next_temp_id'],
    'enrichment_admin may execute exactly reader + mappings (and their undo), queue administration and review decisions');

-- ------------------------------------------------------------------------------------------------ reader
SET LOCAL ROLE enrichment_reader;
SELECT is((enterprise.resolve_company_id(plan_code => 'FP0001')).company_id, '614810477', 'a reader can resolve');
SELECT is((SELECT count(*)::int FROM enterprise.resolve_company_ids(customer_names => ARRAY['ce最小权限测试公司', NULL])),
          2, 'a reader can resolve a batch');
SELECT is((SELECT company_id FROM enterprise.preview_company_ids(plan_codes => ARRAY['CE_LP_PLAN'])),
          '600000111', 'a reader can preview');
SELECT is((SELECT company_id FROM enterprise.explain_company_id(plan_code => 'CE_LP_PLAN') WHERE answered),
          '600000111', 'a reader can explain');
SELECT is(enterprise.normalize_name('（已转出）ＣＥ 最小权限测试公司'), 'ce最小权限测试公司', 'a reader can normalize');
SELECT lives_ok($$SELECT * FROM enterprise.lookup_queue_stats$$, 'a reader can read the queue stats');
SELECT throws_ok($$SELECT enterprise.enqueue_lookup(name => 'ce某公司')$$, '42501', NULL,
                 'a reader cannot enqueue directly');
SELECT throws_ok($$SELECT * FROM enterprise.claim_lookups(batch_size => 1, worker => 'ce-r')$$, '42501', NULL,
                 'a reader cannot claim');
SELECT throws_ok(format('SELECT * FROM enterprise.claim_lookup(request_id => %s, worker => %L)', :ce_request, 'ce-r'),
                 '42501', NULL, 'a reader cannot claim one request');
SELECT throws_ok(format('SELECT enterprise.complete_lookup(request_id => %s, worker => %L, canonical_id => %L)',
                        :ce_request, 'ce-r', '1'), '42501', NULL, 'a reader cannot complete');
SELECT throws_ok(format('SELECT enterprise.fail_lookup(request_id => %s, worker => %L, error => %L)',
                        :ce_request, 'ce-r', 'e'), '42501', NULL, 'a reader cannot fail a request');
SELECT throws_ok($$SELECT enterprise.release_lookups(worker => 'ce-r')$$, '42501', NULL, 'a reader cannot release');
SELECT throws_ok($$SELECT enterprise.cache_company_mapping(alias_name => 'ce某公司', canonical_id => '1')$$,
                 '42501', NULL, 'a reader cannot cache a mapping');
SELECT throws_ok($$SELECT enterprise.next_temp_id()$$, '42501', NULL, 'a reader cannot mint TEMP ids directly');
SELECT throws_ok($$SELECT enterprise.acquire_eqc_permit(rate_per_minute => 10)$$, '42501', NULL,
                 'a reader cannot take EQC permits');
SELECT throws_ok($$SELECT * FROM enterprise.upsert_internal_mappings(ARRAY['x'], ARRAY['1'], ARRAY['plan'])$$,
                 '42501', NULL, 'a reader cannot load mappings');
SELECT throws_ok($$SELECT * FROM enterprise.lookup_requests$$, '42501', NULL, 'a reader cannot read lookup_requests rows');
SELECT throws_ok($$SELECT * FROM enterprise.company_mapping$$, '42501', NULL, 'a reader cannot read company_mapping');
SELECT throws_ok($$SELECT * FROM enterprise.temp_id_assignments$$, '42501', NULL,
                 'a reader cannot read temp_id_assignments');
SELECT throws_ok($$SELECT nextval('enterprise.temp_id_seq')$$, '42501', NULL, 'a reader cannot use the TEMP sequence');
SELECT is((SELECT count(*)::int FROM enterprise.mapping_history('CE_LP_PLAN')), 1, 'a reader can read a mapping''s history');
SELECT throws_ok($$SELECT * FROM enterprise.company_mapping_history$$, '42501', NULL,
                 'a reader cannot read the history table directly (only through the functions)');
SELECT throws_ok($$SELECT enterprise.revert_mapping_change_set(1)$$, '42501', NULL, 'a reader cannot revert a change set');
RESET ROLE;

-- ------------------------------------------------------------------------------------------------ worker
SET LOCAL ROLE enrichment_worker;
SELECT throws_ok($$SELECT * FROM enterprise.upsert_internal_mappings(ARRAY['ce最小权限测试公司'], ARRAY['666'],
                                                                       ARRAY['name'])$$,
                 '42501', NULL, 'a worker cannot call upsert_internal_mappings');
SELECT throws_ok($$SELECT enterprise.revert_mapping_change_set(1)$$, '42501', NULL, 'a worker cannot revert a change set');
SELECT throws_ok($$INSERT INTO enterprise.company_mapping (alias_name, canonical_id, source, match_type, priority)
                   VALUES ('ce伪造', '666', 'internal', 'name', 4)$$,
                 '42501', NULL, 'a worker cannot INSERT into company_mapping');
SELECT throws_ok($$UPDATE enterprise.company_mapping SET canonical_id = '666' WHERE alias_name = 'ce最小权限测试公司'$$,
                 '42501', NULL, 'a worker cannot UPDATE company_mapping');
SELECT throws_ok($$DELETE FROM enterprise.company_mapping WHERE alias_name = 'ce最小权限测试公司'$$,
                 '42501', NULL, 'a worker cannot DELETE from company_mapping');
SELECT throws_ok($$TRUNCATE enterprise.company_mapping$$, '42501', NULL, 'a worker cannot TRUNCATE company_mapping');
SELECT is(enterprise.cache_company_mapping(alias_name => ' ce最小权限测试公司（已注销）', canonical_id => '666'),
          'skipped_curated', 'caching never overwrites a curated name');
SELECT throws_ok($$SELECT enterprise.cache_company_mapping(alias_name => 'ce伪造公司', canonical_id => '666',
                                                           source => 'internal')$$,
                 '22023', 'invalid source for a learned mapping', 'a worker cannot forge a curated row');
SELECT is((SELECT count(*)::int FROM enterprise.claim_lookup(request_id => :ce_request, worker => 'ce-w')), 1,
          'a worker can claim');
SELECT is((enterprise.complete_lookup(request_id => :ce_request, worker => 'ce-w', canonical_id => '666')).status,
          'done', 'a worker can complete a request for a curated name ...');
SELECT throws_ok($$SELECT enterprise.requeue_failed()$$, '42501', NULL, 'a worker cannot requeue failed requests');
SELECT throws_ok($$SELECT * FROM enterprise.configure_lookup_queue(max_attempts => 100)$$, '42501', NULL,
                 'a worker cannot change the queue policy');
SELECT throws_ok($$SELECT enterprise.prune_lookup_requests(older_than => interval '0')$$, '42501', NULL,
                 'a worker cannot prune');
SELECT throws_ok($$UPDATE enterprise.lookup_requests SET attempts = 0$$, '42501', NULL,
                 'a worker cannot UPDATE lookup_requests directly');
SELECT throws_ok($$UPDATE enterprise.queue_settings SET max_attempts = 100$$, '42501', NULL,
                 'a worker cannot UPDATE queue_settings directly');
SELECT throws_ok($$DELETE FROM enterprise.eqc_rate_limit$$, '42501', NULL,
                 'a worker cannot reset the shared rate limit directly');
RESET ROLE;
SELECT results_eq(
    $$SELECT canonical_id::text, source::text FROM enterprise.company_mapping
       WHERE lookup_key = 'ce最小权限测试公司' AND match_type = 'name'$$,
    $$VALUES ('600000222', 'internal')$$,
    '... and the curated mapping is unchanged, with no learned row beside it');

-- ------------------------------------------------------------------------------------------------- admin
SET LOCAL ROLE enrichment_admin;
SELECT lives_ok($$SELECT * FROM enterprise.upsert_internal_mappings(ARRAY['CE_LP_PLAN2'], ARRAY['600000333'],
                                                                      ARRAY['plan'])$$,
                'an admin can load mappings');
SELECT throws_ok($$INSERT INTO enterprise.company_mapping (alias_name, canonical_id, source, match_type, priority)
                   VALUES ('ce伪造', '666', 'internal', 'name', 4)$$,
                 '42501', NULL, 'an admin cannot write company_mapping directly either');
SELECT throws_ok($$SELECT * FROM enterprise.claim_lookups(batch_size => 1, worker => 'ce-a')$$, '42501', NULL,
                 'an admin cannot claim');
SELECT throws_ok($$SELECT enterprise.cache_company_mapping(alias_name => 'ce某公司', canonical_id => '1')$$,
                 '42501', NULL, 'an admin cannot cache learned names');
SELECT throws_ok($$SELECT enterprise.enqueue_lookup(name => 'ce某公司')$$, '42501', NULL,
                 'an admin cannot enqueue directly');
SELECT throws_ok($$SELECT * FROM enterprise.lookup_requests$$, '42501', NULL, 'an admin cannot read lookup_requests');
SELECT is((SELECT kind FROM enterprise.revert_mapping_change_set((SELECT max(id) FROM enterprise.mapping_change_sets(1)))),
          'revert', 'an admin can revert a change set');
SELECT throws_ok($$DELETE FROM enterprise.company_mapping_history$$, '42501', NULL,
                 'an admin cannot rewrite the history');
RESET ROLE;

-- ------------------------------------------------------------------------- nobody but the owner writes tables
SELECT is_empty($$
    SELECT c.oid::regclass, r.rolname
      FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
     CROSS JOIN pg_roles r
     WHERE n.nspname = 'enterprise' AND c.relkind IN ('r', 'p', 'v', 'm')
       AND NOT r.rolsuper AND r.oid <> c.relowner AND r.rolname NOT LIKE 'pg\_%'
       AND has_table_privilege(r.oid, c.oid, 'INSERT, UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER')$$,
    'no role but the owner (and superusers) may write any table or view, whatever roles the cluster has');
SELECT is_empty($$
    SELECT c.oid::regclass, r.rolname
      FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
     CROSS JOIN pg_roles r
     WHERE n.nspname = 'enterprise' AND c.relkind = 'S'
       AND NOT r.rolsuper AND r.oid <> c.relowner AND r.rolname NOT LIKE 'pg\_%'
       AND has_sequence_privilege(r.oid, c.oid, 'USAGE, SELECT, UPDATE')$$,
    'no role but the owner may use or set a sequence');
SELECT is_empty($$
    SELECT c.oid::regclass, a.attname, r.rolname
      FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
     CROSS JOIN pg_roles r
     WHERE n.nspname = 'enterprise' AND c.relkind IN ('r', 'p')
       AND NOT r.rolsuper AND r.oid <> c.relowner AND r.rolname NOT LIKE 'pg\_%'
       AND has_column_privilege(r.oid, c.oid, a.attnum, 'SELECT, INSERT, UPDATE, REFERENCES')$$,
    'no column-level grant opens a table either');
SELECT is_empty($$
    SELECT c.oid::regclass FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE n.nspname = 'enterprise' AND c.relkind IN ('r', 'p')
       AND (c.relrowsecurity OR c.relforcerowsecurity)
       AND EXISTS (SELECT 1 FROM pg_policy p WHERE p.polrelid = c.oid)$$,
    'no row-level policy could grant rows to anyone');

-- ------------------------------------------------------------------------------------ PUBLIC can do nothing
SELECT ok(NOT has_schema_privilege('ce_nobody', 'enterprise', 'USAGE, CREATE'),
          'a role with no grants cannot use the schema');
SELECT is_empty($$
    SELECT p.oid::regprocedure FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
     WHERE n.nspname = 'enterprise' AND has_function_privilege('ce_nobody', p.oid, 'EXECUTE')$$,
    'a role with no grants can execute no function, public or private');
SELECT is_empty($$
    SELECT c.oid::regclass FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE n.nspname = 'enterprise'
       AND CASE WHEN c.relkind = 'S' THEN has_sequence_privilege('ce_nobody', c.oid, 'USAGE, SELECT, UPDATE')
                WHEN c.relkind IN ('r', 'p', 'v', 'm')
                THEN has_table_privilege('ce_nobody', c.oid,
                                         'SELECT, INSERT, UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER')
                ELSE false END$$,
    'a role with no grants has no right on any relation');
SET LOCAL ROLE ce_nobody;
SELECT throws_ok($$SELECT * FROM enterprise.resolve_company_id(plan_code => 'FP0001')$$, '42501', NULL,
                 'PUBLIC cannot resolve');
SELECT throws_ok($$SELECT enterprise.normalize_name('x')$$, '42501', NULL, 'PUBLIC cannot normalize');
SELECT throws_ok($$SELECT * FROM enterprise.lookup_queue_stats$$, '42501', NULL, 'PUBLIC cannot read the stats');
SELECT throws_ok($$SELECT * FROM enterprise.company_mapping$$, '42501', NULL, 'PUBLIC cannot read mappings');
SELECT throws_ok($$SELECT enterprise.enqueue_lookup(name => 'ce某公司')$$, '42501', NULL, 'PUBLIC cannot enqueue');
SELECT throws_ok($$SELECT * FROM enterprise.mapping_history('CE_LP_PLAN')$$, '42501', NULL, 'PUBLIC cannot read the history');
RESET ROLE;

-- -------------------------------------------------------------------------------------- definer functions
SELECT isnt_empty($$
    SELECT 1 FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
     WHERE n.nspname = 'enterprise' AND p.prosecdef$$,
    'the schema has SECURITY DEFINER functions (so the next checks are not vacuous)');
-- Strict: the only search_path entry is exactly 'pg_catalog, pg_temp', and nothing else is set but planner
-- settings, which cannot change what a name means or who runs it (jit, work_mem, plan_cache_mode, enable_*,
-- *_cost, collapse limits). Anything else (a role, a search_path with more schemas, ...) fails here.
SELECT is_empty($$
    SELECT p.oid::regprocedure, p.proconfig FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
     WHERE n.nspname = 'enterprise' AND p.prosecdef
       AND ARRAY(SELECT c FROM unnest(p.proconfig) AS c
                  WHERE c !~ '^(jit[a-z_]*|work_mem|hash_mem_multiplier|plan_cache_mode|enable_[a-z_]+|[a-z_]+_cost|(from|join)_collapse_limit)=')
           IS DISTINCT FROM ARRAY['search_path=pg_catalog, pg_temp']$$,
    'every SECURITY DEFINER function sets search_path to exactly pg_catalog, pg_temp and nothing unexpected');
SELECT is_empty($$
    SELECT p.oid::regprocedure FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
     WHERE n.nspname = 'enterprise' AND p.prosqlbody IS NULL
       AND p.prolang IN (SELECT oid FROM pg_language WHERE lanname IN ('plpgsql', 'sql'))
       AND NOT coalesce('search_path=pg_catalog, pg_temp' = ANY (p.proconfig), false)$$,
    'every function whose names are resolved at run time (no SQL-standard body) pins search_path');
SELECT is_empty($$
    SELECT p.oid::regprocedure FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
     WHERE n.nspname = 'enterprise' AND p.prosecdef AND p.proowner <> n.nspowner$$,
    'SECURITY DEFINER functions are owned by the schema owner');
SELECT is_empty($$
    SELECT p.oid::regprocedure FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
     WHERE n.nspname = 'enterprise' AND p.prosecdef
       AND has_function_privilege('ce_nobody', p.oid, 'EXECUTE')$$,
    'no SECURITY DEFINER function is executable by PUBLIC');

-- ------------------------------------------------------------------------------------------- hijacking
-- The attacker: a reader with its own schema first on its search_path, holding look-alikes of every
-- function and table the resolution path uses, each of which records that it ran.
SET LOCAL ROLE ce_attacker;
CREATE TABLE ce_evil.calls (what text);
CREATE TABLE ce_evil.results (what text, company_id text, status text);
CREATE FUNCTION ce_evil.spy(what text) RETURNS text LANGUAGE plpgsql AS
    $$BEGIN INSERT INTO ce_evil.calls VALUES (what); RETURN 'HIJACKED'; END$$;
-- plpgsql look-alikes (never inlined, so each call is recorded).
CREATE FUNCTION ce_evil.normalize_name(a text) RETURNS text LANGUAGE plpgsql AS
    $$BEGIN RETURN ce_evil.spy('normalize_name'); END$$;
CREATE FUNCTION ce_evil.lower(a text) RETURNS text LANGUAGE plpgsql AS $$BEGIN RETURN ce_evil.spy('lower'); END$$;
CREATE FUNCTION ce_evil.btrim(a text) RETURNS text LANGUAGE plpgsql AS $$BEGIN RETURN ce_evil.spy('btrim'); END$$;
CREATE FUNCTION ce_evil.translate(a text, b text, c text) RETURNS text LANGUAGE plpgsql AS
    $$BEGIN RETURN ce_evil.spy('translate'); END$$;
CREATE FUNCTION ce_evil.regexp_replace(a text, b text, c text) RETURNS text LANGUAGE plpgsql AS
    $$BEGIN RETURN ce_evil.spy('regexp_replace'); END$$;
CREATE FUNCTION ce_evil.regexp_replace(a text, b text, c text, d text) RETURNS text LANGUAGE plpgsql AS
    $$BEGIN RETURN ce_evil.spy('regexp_replace'); END$$;
CREATE FUNCTION ce_evil.replace(a text, b text, c text) RETURNS text LANGUAGE plpgsql AS
    $$BEGIN RETURN ce_evil.spy('replace'); END$$;
CREATE FUNCTION ce_evil.strpos(a text, b text) RETURNS integer LANGUAGE plpgsql AS
    $$BEGIN PERFORM ce_evil.spy('strpos'); RETURN 1; END$$;
CREATE FUNCTION ce_evil.left(a text, b integer) RETURNS text LANGUAGE plpgsql AS
    $$BEGIN RETURN ce_evil.spy('left'); END$$;
CREATE FUNCTION ce_evil.now() RETURNS timestamptz LANGUAGE plpgsql AS
    $$BEGIN PERFORM ce_evil.spy('now'); RETURN '2000-01-01'; END$$;
CREATE FUNCTION ce_evil.text_eq(a text, b text) RETURNS boolean LANGUAGE plpgsql AS
    $$BEGIN PERFORM ce_evil.spy('='); RETURN true; END$$;
CREATE FUNCTION ce_evil.text_cat(a text, b text) RETURNS text LANGUAGE plpgsql AS
    $$BEGIN RETURN ce_evil.spy('||'); END$$;
CREATE OPERATOR ce_evil.= (LEFTARG = text, RIGHTARG = text, FUNCTION = ce_evil.text_eq);
CREATE OPERATOR ce_evil.|| (LEFTARG = text, RIGHTARG = text, FUNCTION = ce_evil.text_cat);
CREATE TABLE ce_evil.company_mapping AS
    SELECT 'ce最小权限测试公司'::text AS alias_name, 'EVIL'::text AS canonical_id, 'internal'::text AS source,
           'name'::text AS match_type, 'ce最小权限测试公司'::text AS lookup_key;
CREATE TABLE ce_evil.queue_settings AS SELECT true AS singleton, 0 AS max_attempts;
CREATE TEMP TABLE company_mapping AS SELECT * FROM ce_evil.company_mapping;
SET LOCAL search_path = ce_evil, pg_catalog, enterprise, public;
-- The trap is armed: unqualified names in the attacker's own statements do reach the look-alikes.
INSERT INTO ce_evil.results SELECT 'armed', lower('X'), 'x'::text = ('y'::text || 'z'::text);
DELETE FROM ce_evil.results;
INSERT INTO ce_evil.results SELECT 'armed calls', count(*)::text, NULL FROM ce_evil.calls;
DELETE FROM ce_evil.calls;
-- Now the real API, through the attacker's search_path (no pgTAP here: its own functions are not pinned).
INSERT INTO ce_evil.results
    SELECT 'resolve name', r.company_id, r.status FROM enterprise.resolve_company_id(customer_name => 'ce最小权限测试公司') AS r;
INSERT INTO ce_evil.results
    SELECT 'resolve plan', r.company_id, r.status FROM enterprise.resolve_company_id(plan_code => ' CE_LP_PLAN ') AS r;
INSERT INTO ce_evil.results
    SELECT 'resolve batch', r.company_id, r.status
      FROM enterprise.resolve_company_ids(customer_names => ARRAY['（已注销）ce最小权限测试公司']) AS r;
INSERT INTO ce_evil.results
    SELECT 'preview', r.company_id, r.status
      FROM enterprise.preview_company_ids(customer_names => ARRAY['ＣＥ最小权限测试公司']) AS r;
INSERT INTO ce_evil.results
    SELECT 'explain', e.company_id, e.status
      FROM enterprise.explain_company_id(customer_name => '（已注销）ＣＥ最小权限测试公司') AS e WHERE e.answered;
INSERT INTO ce_evil.results SELECT 'normalize', enterprise.normalize_name('「ＣＥ 最小权限测试公司」-注销。'), NULL;
INSERT INTO ce_evil.results SELECT 'stats', s.pending::text, NULL FROM enterprise.lookup_queue_stats AS s;
RESET ROLE;
RESET search_path;

SELECT is((SELECT company_id FROM ce_evil.results WHERE what = 'armed calls'), '3',
          'the look-alikes do run for the attacker''s own unqualified calls (lower, ||, =)');
SELECT results_eq(
    $$SELECT company_id, status FROM ce_evil.results WHERE what = 'resolve name'$$,
    $$VALUES ('600000222'::text, 'success_internal'::text)$$,
    'resolve_company_id answers from the real mappings under a hostile search_path');
SELECT results_eq(
    $$SELECT company_id, status FROM ce_evil.results WHERE what = 'resolve plan'$$,
    $$VALUES ('600000111'::text, 'success_internal'::text)$$,
    'resolution trims with the real btrim');
SELECT results_eq(
    $$SELECT company_id, status FROM ce_evil.results WHERE what = 'resolve batch'$$,
    $$VALUES ('600000222'::text, 'success_internal'::text)$$,
    'resolve_company_ids normalizes with the real normalize_name');
SELECT results_eq(
    $$SELECT company_id, status FROM ce_evil.results WHERE what = 'preview'$$,
    $$VALUES ('600000222'::text, 'success_internal'::text)$$,
    'preview_company_ids too');
SELECT results_eq(
    $$SELECT company_id, status FROM ce_evil.results WHERE what = 'explain'$$,
    $$VALUES ('600000222'::text, 'success_internal'::text)$$,
    'explain_company_id too');
SELECT is((SELECT company_id FROM ce_evil.results WHERE what = 'normalize'), 'ce最小权限测试公司',
          'normalize_name called directly is not hijacked');
SELECT isnt((SELECT company_id FROM ce_evil.results WHERE what = 'stats'), NULL, 'the stats view reads the real queue');
SELECT is_empty($$SELECT what FROM ce_evil.calls$$, 'no look-alike function or operator ran inside the API');

SELECT * FROM finish();
ROLLBACK;
