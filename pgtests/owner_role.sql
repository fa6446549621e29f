-- enrichment_owner: owns the schema and everything in it, can do nothing else.
BEGIN;
SELECT plan(14);

SELECT has_role('enrichment_owner', 'role enrichment_owner exists');
SELECT is((SELECT rolcanlogin FROM pg_roles WHERE rolname = 'enrichment_owner'), false, 'enrichment_owner cannot log in');
SELECT is((SELECT ARRAY[rolsuper, rolcreatedb, rolcreaterole, rolreplication, rolbypassrls]
             FROM pg_roles WHERE rolname = 'enrichment_owner'),
          ARRAY[false, false, false, false, false],
          'enrichment_owner has no role attribute (superuser, createdb, createrole, replication, bypassrls)');
SELECT is_empty($$SELECT roleid::regrole FROM pg_auth_members WHERE member = 'enrichment_owner'::regrole$$,
    'enrichment_owner is a member of no role');

SELECT schema_owner_is('enterprise', 'enrichment_owner', 'enrichment_owner owns schema enterprise');

SELECT is_empty($$
    SELECT p.oid::regprocedure, r.rolname FROM pg_proc p JOIN pg_roles r ON r.oid = p.proowner
     WHERE p.pronamespace = 'enterprise'::regnamespace AND r.rolsuper$$,
    'no function of the schema is owned by a superuser');

SELECT is_empty($$
    SELECT p.oid::regprocedure FROM pg_proc p
     WHERE p.pronamespace = 'enterprise'::regnamespace AND p.prosecdef
       AND p.proowner <> 'enrichment_owner'::regrole$$,
    'every SECURITY DEFINER function runs as enrichment_owner');

SELECT is_empty($$
    SELECT 'relation ' || c.oid::regclass FROM pg_class c
     WHERE c.relnamespace = 'enterprise'::regnamespace AND c.relowner <> 'enrichment_owner'::regrole
    UNION ALL
    SELECT 'type ' || t.oid::regtype FROM pg_type t
     WHERE t.typnamespace = 'enterprise'::regnamespace AND t.typowner <> 'enrichment_owner'::regrole
    UNION ALL
    SELECT 'function ' || p.oid::regprocedure FROM pg_proc p
     WHERE p.pronamespace = 'enterprise'::regnamespace AND p.proowner <> 'enrichment_owner'::regrole$$,
    'every table, view, sequence, type and function of the schema is owned by enrichment_owner (a change after owner_enrichment_owner must start with SET LOCAL ROLE enrichment_owner)');

SELECT is_empty($$
    SELECT 'relation ' || c.oid::regclass FROM pg_class c
     WHERE c.relnamespace NOT IN ('enterprise'::regnamespace, 'pg_toast'::regnamespace)  -- tables' TOAST goes with them
       AND c.relowner = 'enrichment_owner'::regrole
    UNION ALL
    SELECT 'function ' || p.oid::regprocedure FROM pg_proc p
     WHERE p.pronamespace <> 'enterprise'::regnamespace AND p.proowner = 'enrichment_owner'::regrole
    UNION ALL
    SELECT 'schema ' || n.nspname FROM pg_namespace n
     WHERE n.nspname <> 'enterprise' AND n.nspowner = 'enrichment_owner'::regrole$$,
    'enrichment_owner owns nothing outside the schema (but its tables'' TOAST storage)');

SELECT is_empty($$
    SELECT 'schema ' || n.nspname FROM pg_namespace n, aclexplode(n.nspacl) a
     WHERE n.nspname <> 'enterprise' AND a.grantee = 'enrichment_owner'::regrole
    UNION ALL
    SELECT 'relation ' || c.oid::regclass FROM pg_class c, aclexplode(c.relacl) a
     WHERE c.relnamespace <> 'enterprise'::regnamespace AND a.grantee = 'enrichment_owner'::regrole
    UNION ALL
    SELECT 'function ' || p.oid::regprocedure FROM pg_proc p, aclexplode(p.proacl) a
     WHERE p.pronamespace <> 'enterprise'::regnamespace AND a.grantee = 'enrichment_owner'::regrole
    UNION ALL
    SELECT 'database ' || d.datname FROM pg_database d, aclexplode(d.datacl) a
     WHERE a.grantee = 'enrichment_owner'::regrole$$,
    'enrichment_owner is granted nothing outside the schema');

SELECT ok(NOT has_schema_privilege('enrichment_owner', 'public', 'CREATE'),
    'enrichment_owner cannot create in schema public');
SELECT ok(to_regnamespace('sqitch') IS NULL OR NOT has_schema_privilege('enrichment_owner', 'sqitch', 'USAGE'),
    'enrichment_owner cannot reach the sqitch registry');

-- Exercised as the role itself.
SET LOCAL ROLE enrichment_owner;
SELECT throws_ok($$SELECT count(*) FROM pg_catalog.pg_authid$$, '42501', NULL,
    'acting as enrichment_owner, the superuser-only catalogs are out of reach');
SELECT throws_ok($$CREATE TABLE public.owner_role_probe (id int)$$, '42501', NULL,
    'acting as enrichment_owner, nothing can be created outside the schema');
RESET ROLE;

SELECT * FROM finish();
ROLLBACK;
