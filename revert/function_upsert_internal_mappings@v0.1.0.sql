-- Revert company_enrichment:function_upsert_internal_mappings from pg

BEGIN;

DROP FUNCTION enterprise.upsert_internal_mappings(text[], text[], text[]);

COMMIT;
