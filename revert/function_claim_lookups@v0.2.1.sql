-- Revert company_enrichment:function_claim_lookups from pg

BEGIN;

DROP FUNCTION enterprise.claim_lookups(integer, text, interval, integer);

COMMIT;
