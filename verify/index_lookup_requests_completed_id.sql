-- Verify company_enrichment:index_lookup_requests_completed_id on pg

BEGIN;

SELECT 1 / pg_catalog.count(*)
  FROM pg_catalog.pg_indexes AS i
 WHERE i.schemaname = 'enterprise'
   AND i.indexname = 'lookup_requests_completed_id_idx'
   AND i.indexdef LIKE '%USING btree (completed_at, id) WHERE (status = ''done''::text)';

-- The index it replaces is gone.
SELECT 1 / (pg_catalog.to_regclass('enterprise.lookup_requests_completed_idx') IS NULL)::int;

ROLLBACK;
