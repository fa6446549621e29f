-- Revert company_enrichment:function_renew_lookup_leases from pg

BEGIN;

DROP FUNCTION enterprise.renew_lookup_leases(text, bigint[], interval);

COMMIT;
