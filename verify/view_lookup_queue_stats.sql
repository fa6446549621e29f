-- Verify company_enrichment:view_lookup_queue_stats on pg

BEGIN;

SELECT pending, due, processing, done, found, not_found, failed, oldest_pending_age, expired_leases,
       failures_last_hour, done_last_hour, review
  FROM enterprise.lookup_queue_stats;

ROLLBACK;
