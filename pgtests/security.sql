-- Roles and least privilege across the whole schema.
BEGIN;
SELECT plan(14);

SELECT has_role('enrichment_reader', 'role enrichment_reader exists');
SELECT has_role('enrichment_worker', 'role enrichment_worker exists');
SELECT has_role('enrichment_admin', 'role enrichment_admin exists');
SELECT is_member_of('enrichment_reader', ARRAY['enrichment_worker', 'enrichment_admin'], 'workers and admins are readers');

SELECT schema_privs_are('enterprise', 'public', ARRAY[]::text[], 'PUBLIC cannot use the schema');
SELECT schema_privs_are('enterprise', 'enrichment_reader', ARRAY['USAGE'], 'readers may use the schema, not create in it');

SELECT is_empty($$
    SELECT c.relname, r.rolname
      FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
     CROSS JOIN (VALUES ('public'), ('enrichment_reader'), ('enrichment_worker'), ('enrichment_admin')) AS r(rolname)
     WHERE n.nspname = 'enterprise' AND c.relkind IN ('r', 'v', 'm', 'S', 'p')
       AND NOT (c.relname = 'lookup_queue_stats' AND r.rolname <> 'public'
                AND NOT has_table_privilege(r.rolname, c.oid, 'INSERT,UPDATE,DELETE,TRUNCATE,REFERENCES,TRIGGER'))
       -- admins read the review queue (and decide only through functions)
       AND NOT (c.relname = 'lookup_review' AND r.rolname = 'enrichment_admin'
                AND NOT has_table_privilege(r.rolname, c.oid, 'INSERT,UPDATE,DELETE,TRUNCATE,REFERENCES,TRIGGER'))
       AND (CASE WHEN c.relkind = 'S' THEN has_sequence_privilege(r.rolname, c.oid, 'USAGE,SELECT,UPDATE')
                 ELSE has_table_privilege(r.rolname, c.oid, 'SELECT,INSERT,UPDATE,DELETE,TRUNCATE,REFERENCES,TRIGGER') END)$$,
    'no role but the owner has any right on any table, view or sequence (but reading the queue stats, and admins the review queue)');

SELECT is_empty($$
    SELECT p.oid::regprocedure FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
     WHERE n.nspname = 'enterprise' AND has_function_privilege('public', p.oid, 'EXECUTE')$$,
    'PUBLIC can execute no function');

SELECT is_empty($$
    SELECT p.oid::regprocedure FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
     WHERE n.nspname = 'enterprise' AND p.prosecdef
       AND NOT coalesce(p.proconfig @> ARRAY['search_path=pg_catalog, pg_temp'], false)$$,
    'every SECURITY DEFINER function pins search_path to pg_catalog, pg_temp');

SELECT is_empty($$
    SELECT p.oid::regprocedure FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
     WHERE n.nspname = 'enterprise' AND p.proname NOT LIKE '\_%'
       AND coalesce(obj_description(p.oid, 'pg_proc'), '') = ''$$,
    'every public function has a COMMENT');

SELECT is_empty($$
    SELECT p.oid::regprocedure FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
     WHERE n.nspname = 'enterprise' AND p.proname LIKE '\_%'
       AND p.proname NOT IN ('_name_decorations', '_name_decoration_edges', '_name_decoration_patterns',
                              '_normalize_name_full')
       AND (has_function_privilege('enrichment_reader', p.oid, 'EXECUTE')
            OR has_function_privilege('enrichment_worker', p.oid, 'EXECUTE')
            OR has_function_privilege('enrichment_admin', p.oid, 'EXECUTE'))$$,
    'private helpers are not callable by the roles (except the decoration lists and the full rules normalize_name calls as its caller)');

-- Exercised as the roles themselves.
SET LOCAL ROLE enrichment_reader;
SELECT is((enterprise.resolve_company_id(plan_code => 'FP0001')).company_id, '614810477', 'a reader can resolve');
SELECT is((SELECT company_id FROM enterprise.explain_company_id(plan_code => 'FP0001') WHERE answered), '614810477',
          'a reader can ask why (explain_company_id)');
SELECT throws_ok($$SELECT count(*) FROM enterprise.company_mapping$$, '42501', NULL, 'a reader cannot read the table directly');
RESET ROLE;

SELECT * FROM finish();
ROLLBACK;
