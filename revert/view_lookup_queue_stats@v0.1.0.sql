-- Revert company_enrichment:view_lookup_queue_stats from pg

BEGIN;

DROP VIEW enterprise.lookup_queue_stats;

COMMIT;
