-- Revert company_enrichment:function_claim_lookup from pg

BEGIN;

DROP FUNCTION enterprise.claim_lookup(bigint, text, interval);

COMMIT;
