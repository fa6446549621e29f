-- Revert company_enrichment:function_configure_lookup_queue from pg

BEGIN;

DROP FUNCTION enterprise.configure_lookup_queue(integer, interval, interval, interval, interval, interval);

COMMIT;
