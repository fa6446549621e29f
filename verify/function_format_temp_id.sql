-- Verify company_enrichment:function_format_temp_id on pg

BEGIN;

SELECT 1 / (enterprise._format_temp_id(1) = 'TEMP_000001')::int;

ROLLBACK;
