-- Revert company_enrichment:function_accept_lookup_candidate from pg

BEGIN;

DROP FUNCTION enterprise.accept_lookup_candidate(bigint, text, boolean);

COMMIT;
