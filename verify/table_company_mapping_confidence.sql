-- Verify company_enrichment:table_company_mapping_confidence on pg

BEGIN;

SELECT confidence, eqc_type FROM enterprise.company_mapping WHERE false;

ROLLBACK;
