-- Verify company_enrichment:roles on pg

BEGIN;

SELECT 1 / (count(*) = 3)::int
  FROM pg_catalog.pg_roles
 WHERE rolname IN ('enrichment_reader', 'enrichment_worker', 'enrichment_admin');

SELECT 1 / pg_catalog.pg_has_role('enrichment_worker', 'enrichment_reader', 'MEMBER')::int;
SELECT 1 / pg_catalog.pg_has_role('enrichment_admin', 'enrichment_reader', 'MEMBER')::int;

ROLLBACK;
