-- Verify company_enrichment:owner_enrichment_owner on pg

BEGIN;

SELECT 1 / ((SELECT nspowner FROM pg_catalog.pg_namespace WHERE nspname = 'enterprise') = 'enrichment_owner'::regrole)::int;

-- Every relation, type and function of the schema belongs to enrichment_owner.
SELECT 1 / (count(*) = 0)::int
  FROM (SELECT c.relowner AS owner FROM pg_catalog.pg_class c WHERE c.relnamespace = 'enterprise'::regnamespace
        UNION ALL
        SELECT t.typowner FROM pg_catalog.pg_type t WHERE t.typnamespace = 'enterprise'::regnamespace
        UNION ALL
        SELECT p.proowner FROM pg_catalog.pg_proc p WHERE p.pronamespace = 'enterprise'::regnamespace) AS o
 WHERE o.owner <> 'enrichment_owner'::regrole;

ROLLBACK;
