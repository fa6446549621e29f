-- Revert company_enrichment:function_mapping_change_sets from pg

BEGIN;

DROP FUNCTION enterprise.mapping_change_sets(integer);

COMMIT;
