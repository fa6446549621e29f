-- Revert company_enrichment:function_failed_lookups from pg

BEGIN;
SET LOCAL ROLE enrichment_owner;

DROP FUNCTION enterprise.failed_lookups(integer);

COMMIT;
