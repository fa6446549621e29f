-- Revert company_enrichment:function_schema_version from pg

BEGIN;

DROP FUNCTION enterprise.schema_version();

COMMIT;
