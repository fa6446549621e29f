-- Revert company_enrichment:function_complete_lookup from pg

BEGIN;

DROP FUNCTION enterprise.complete_lookup(bigint, text, text, text, text);

COMMIT;
