-- Verify company_enrichment:function_check_record_arrays on pg

BEGIN;

SELECT 1 / (enterprise._check_record_arrays('verify', ARRAY['a'], NULL, NULL, NULL) = 1)::int;

ROLLBACK;
