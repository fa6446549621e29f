-- Verify company_enrichment:view_lookup_review on pg

BEGIN;

SELECT request_id, name, normalized_name, created_at, review_since, candidates FROM enterprise.lookup_review WHERE false;

ROLLBACK;
