-- Revert company_enrichment:function_complete_lookup_not_found from pg

BEGIN;

DROP FUNCTION enterprise.complete_lookup_not_found(bigint, text);

COMMIT;
