-- Revert company_enrichment:function_fail_lookup from pg

BEGIN;

DROP FUNCTION enterprise.fail_lookup(bigint, text, text, interval, integer, interval);

COMMIT;
