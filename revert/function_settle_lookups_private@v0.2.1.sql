-- Revert company_enrichment:function_settle_lookups_private from pg

BEGIN;

DROP FUNCTION enterprise._settle_lookups(text, bigint[], jsonb[], text, integer, interval, integer);

COMMIT;
