-- Revert company_enrichment:function_prune_lookup_requests from pg

BEGIN;

DROP FUNCTION enterprise.prune_lookup_requests(interval, integer, bigint);

COMMIT;
