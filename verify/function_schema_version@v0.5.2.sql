-- Verify company_enrichment:function_schema_version on pg

BEGIN;

SELECT 1 / (enterprise.schema_version() = '0.5.2')::int;

ROLLBACK;
