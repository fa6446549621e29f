-- Revert company_enrichment:trigger_lookup_requests_notify_revived from pg

BEGIN;

DROP TRIGGER lookup_requests_notify_revived ON enterprise.lookup_requests;
DROP FUNCTION enterprise._notify_lookup_revived();

COMMIT;
