-- Verify company_enrichment:function_renew_lookup_leases on pg

BEGIN;

SELECT 1 / (NOT EXISTS (SELECT FROM enterprise.renew_lookup_leases('verify')))::int;
SELECT 1 / has_function_privilege('enrichment_worker', 'enterprise.renew_lookup_leases(text, bigint[], interval)',
                                  'EXECUTE')::int;

ROLLBACK;
