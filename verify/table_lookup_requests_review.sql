-- Verify company_enrichment:table_lookup_requests_review on pg

BEGIN;

SELECT candidates FROM enterprise.lookup_requests WHERE false;
SELECT 'enterprise.lookup_requests_review_name_key'::pg_catalog.regclass;
SELECT 1 / (pg_catalog.pg_get_constraintdef(c.oid) LIKE '%review%')::int
  FROM pg_catalog.pg_constraint AS c
 WHERE c.conname = 'lookup_requests_status_check' AND c.conrelid = 'enterprise.lookup_requests'::pg_catalog.regclass;

ROLLBACK;
