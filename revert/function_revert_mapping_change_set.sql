-- Revert company_enrichment:function_revert_mapping_change_set from pg

BEGIN;

DROP FUNCTION enterprise.revert_mapping_change_set(bigint, boolean);

COMMIT;
