-- Verify company_enrichment:table_lookup_requests on pg

BEGIN;

SELECT id, name, normalized_name, status, attempts, last_error, created_at, updated_at, next_attempt_at,
       lease_owner, lease_expires_at, outcome, company_id, official_name, unite_code, completed_at,
       last_failed_at, claimable_at
  FROM enterprise.lookup_requests
 WHERE false;

ROLLBACK;
