-- Verify company_enrichment:function_name_temp_key on pg

BEGIN;

SELECT 1 / (enterprise._name_temp_key('x') = 'name' || chr(31) || 'x')::int;

ROLLBACK;
