-- Verify company_enrichment:type_mapping_load_result on pg

BEGIN;

SELECT (NULL::enterprise.mapping_load_result).inserted;

ROLLBACK;
