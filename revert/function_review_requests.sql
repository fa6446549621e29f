-- Revert company_enrichment:function_review_requests from pg

BEGIN;
SET LOCAL ROLE enrichment_owner;

DROP FUNCTION enterprise.review_requests(text, bigint, integer);

COMMIT;
