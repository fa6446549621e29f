-- Revert company_enrichment:function_reject_lookup from pg

BEGIN;

DROP FUNCTION enterprise.reject_lookup(bigint);

COMMIT;
