-- Verify company_enrichment:function_resolve_company_id on pg

BEGIN;

SELECT 1 / pg_catalog.has_function_privilege('enrichment_reader',
    'enterprise.resolve_company_id(text, text, text, text)', 'EXECUTE')::int;
SELECT 1 / ((enterprise.resolve_company_id(customer_name => 'verify')).status = 'pending_lookup')::int;

ROLLBACK;
