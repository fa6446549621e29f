-- Verify company_enrichment:function_mapping_key on pg

BEGIN;

SELECT 1 / (enterprise._mapping_key(' AN001 ', 'plan') = 'AN001')::int;

ROLLBACK;
