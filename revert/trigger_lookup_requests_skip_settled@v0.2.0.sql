-- Revert company_enrichment:trigger_lookup_requests_skip_settled from pg

BEGIN;

DROP TRIGGER lookup_requests_skip_settled ON enterprise.lookup_requests;
DROP FUNCTION enterprise._skip_settled_lookup();

COMMIT;
