-- Verify company_enrichment:function_normalize_name_full on pg

BEGIN;

SELECT 1 / (enterprise._normalize_name_full('（已转出）中国平安') = '中国平安')::int;
SELECT 1 / (enterprise._normalize_name_full('(())a') = 'a')::int;
SELECT 1 / (enterprise._normalize_name_full(NULL) IS NULL)::int;
SELECT 1 / pg_catalog.has_function_privilege('enrichment_reader', 'enterprise._normalize_name_full(text)', 'EXECUTE')::int;
SELECT 1 / (NOT pg_catalog.has_function_privilege('public', 'enterprise._normalize_name_full(text)', 'EXECUTE'))::int;

ROLLBACK;
