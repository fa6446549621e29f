-- Revert company_enrichment:function_settle_lookups from pg

BEGIN;

DROP FUNCTION enterprise.settle_lookups(text, bigint[], jsonb[], integer, interval, integer);

COMMIT;
