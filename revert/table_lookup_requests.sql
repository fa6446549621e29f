-- Revert company_enrichment:table_lookup_requests from pg

BEGIN;

DROP TABLE enterprise.lookup_requests;

COMMIT;
