-- Verify company_enrichment:type_mapping_load_result_replaced on pg

BEGIN;

SELECT (NULL::enterprise.mapping_load_result).replaced;

ROLLBACK;
