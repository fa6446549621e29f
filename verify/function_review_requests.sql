-- Verify company_enrichment:function_review_requests on pg

BEGIN;

SELECT 1 / pg_catalog.has_function_privilege('enrichment_reader',
    'enterprise.review_requests(text, bigint, integer)', 'EXECUTE')::int;
SELECT 1 / (NOT pg_catalog.has_function_privilege('public',
    'enterprise.review_requests(text, bigint, integer)', 'EXECUTE'))::int;

ROLLBACK;
