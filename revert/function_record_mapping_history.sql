-- Revert company_enrichment:function_record_mapping_history from pg

BEGIN;

DROP FUNCTION enterprise._record_mapping_history();

COMMIT;
