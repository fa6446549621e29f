-- Verify company_enrichment:role_enrichment_owner on pg

BEGIN;

-- Exists, cannot log in, has no power of its own, and the deployer may act as it.
SELECT 1 / (count(*) = 1)::int
  FROM pg_catalog.pg_roles
 WHERE rolname = 'enrichment_owner'
   AND NOT rolcanlogin AND NOT rolsuper AND NOT rolcreatedb AND NOT rolcreaterole
   AND NOT rolreplication AND NOT rolbypassrls;

SELECT 1 / pg_catalog.pg_has_role(current_user, 'enrichment_owner', 'MEMBER')::int;

ROLLBACK;
