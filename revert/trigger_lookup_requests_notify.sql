-- Revert company_enrichment:trigger_lookup_requests_notify from pg

BEGIN;

DROP TRIGGER lookup_requests_notify ON enterprise.lookup_requests;
DROP FUNCTION enterprise._notify_lookup_requests();

COMMIT;
