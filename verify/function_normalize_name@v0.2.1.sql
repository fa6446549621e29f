-- Verify company_enrichment:function_normalize_name on pg

BEGIN;

SELECT 1 / (enterprise.normalize_name('（已转出）中国平安') = '中国平安')::int;
-- Empty brackets are removed until none are left (the v0.1.0 function gave '()a').
SELECT 1 / (enterprise.normalize_name('(())a') = 'a')::int;
SELECT 1 / pg_catalog.has_function_privilege('enrichment_reader', 'enterprise.normalize_name(text)', 'EXECUTE')::int;

ROLLBACK;
