-- Verify company_enrichment:table_company_mapping on pg

BEGIN;

SELECT alias_name, canonical_id, source, match_type, priority, updated_at, lookup_key
  FROM enterprise.company_mapping
 WHERE false;

SELECT 1 / count(*)::int FROM pg_catalog.pg_indexes
 WHERE schemaname = 'enterprise' AND indexname = 'company_mapping_learned_key';

ROLLBACK;
