-- Verify company_enrichment:sequence_temp_id on pg

BEGIN;

SELECT 1 / count(*)::int FROM pg_catalog.pg_sequences
 WHERE schemaname = 'enterprise' AND sequencename = 'temp_id_seq';

ROLLBACK;
