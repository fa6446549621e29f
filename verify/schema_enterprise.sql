-- Verify company_enrichment:schema_enterprise on pg

BEGIN;

SELECT pg_catalog.has_schema_privilege('enterprise', 'USAGE');
SELECT 1 / pg_catalog.has_schema_privilege('enrichment_reader', 'enterprise', 'USAGE')::int;

ROLLBACK;
