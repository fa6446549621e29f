-- Revert company_enrichment:function_complete_lookups from pg

BEGIN;

DROP FUNCTION enterprise.complete_lookups(text, bigint[], text[], text[], text[], integer, interval, integer);

COMMIT;
