-- Verify company_enrichment:function_normalize_name on pg

BEGIN;

SELECT 1 / (enterprise.normalize_name('（已转出）中国平安') = '中国平安')::int;
SELECT 1 / (enterprise.normalize_name('(())a') = 'a')::int;
SELECT 1 / (enterprise.normalize_name('ABC科技有限公司') = 'abc科技有限公司')::int;
SELECT 1 / (enterprise.normalize_name('NULL') = '')::int;
SELECT 1 / (enterprise.normalize_name(NULL) IS NULL)::int;
SELECT 1 / pg_catalog.has_function_privilege('enrichment_reader', 'enterprise.normalize_name(text)', 'EXECUTE')::int;
-- The 0.3 body: one inlinable SQL expression over _normalize_name_full.
SELECT 1 / (p.prolang = (SELECT l.oid FROM pg_catalog.pg_language AS l WHERE l.lanname = 'sql')
            AND p.prosqlbody IS NOT NULL AND p.proconfig IS NULL AND NOT p.proisstrict
            AND pg_catalog.strpos(pg_catalog.pg_get_functiondef(p.oid), 'enterprise._normalize_name_full(name)') > 0)::int
  FROM pg_catalog.pg_proc AS p
 WHERE p.oid = 'enterprise.normalize_name(text)'::pg_catalog.regprocedure;

ROLLBACK;
