-- Revert company_enrichment:function_release_lookups from pg

BEGIN;

DROP FUNCTION enterprise.release_lookups(text, bigint[]);

COMMIT;
