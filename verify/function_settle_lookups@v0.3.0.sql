-- Verify company_enrichment:function_settle_lookups on pg

BEGIN;

SELECT 1 / (NOT EXISTS (SELECT FROM enterprise.settle_lookups('verify', ARRAY[-1]::bigint[], ARRAY['[]'::jsonb])))::int;
SELECT 1 / pg_catalog.has_function_privilege('enrichment_worker',
    'enterprise.settle_lookups(text, bigint[], jsonb[], integer, interval, integer)', 'EXECUTE')::int;

ROLLBACK;
