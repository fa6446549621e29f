-- Verify company_enrichment:data_hardcode_overrides on pg

BEGIN;

SELECT 1 / (count(*) = 9)::int
  FROM enterprise.company_mapping
 WHERE match_type = 'hardcode'
   AND alias_name IN ('FP0001', 'FP0002', 'FP0003', 'P0809', 'SC002', 'SC007', 'XNP466', 'XNP467', 'XNP596');

ROLLBACK;
