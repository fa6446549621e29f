-- Revert company_enrichment:function_claim_policy from pg

BEGIN;

DROP FUNCTION enterprise._claim_policy(interval, integer);

COMMIT;
