-- Revert company_enrichment:trigger_lookup_requests_answered_meanwhile from pg

BEGIN;

SET LOCAL ROLE enrichment_owner;

DROP TRIGGER lookup_requests_answered_meanwhile ON enterprise.lookup_requests;
DROP FUNCTION enterprise._settle_answered_meanwhile();

COMMIT;
