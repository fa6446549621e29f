-- Verify company_enrichment:type_mapping_load_result_change_set on pg

BEGIN;

SELECT (NULL::enterprise.mapping_load_result).change_set;

ROLLBACK;
