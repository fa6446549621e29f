-- Revert company_enrichment:function_held_lookup from pg

BEGIN;

DROP FUNCTION enterprise._held_lookup(bigint, text);

COMMIT;
