-- Deploy company_enrichment:view_lookup_queue_stats to pg
-- requires: table_lookup_requests

BEGIN;

-- The queue's health in one row.
CREATE VIEW enterprise.lookup_queue_stats AS
SELECT pg_catalog.count(*) FILTER (WHERE q.status = 'pending')                              AS pending,
       pg_catalog.count(*) FILTER (WHERE q.status = 'pending' AND q.next_attempt_at <= pg_catalog.now())
                                                                                             AS due,
       pg_catalog.count(*) FILTER (WHERE q.status = 'processing')                           AS processing,
       pg_catalog.count(*) FILTER (WHERE q.status = 'done')                                 AS done,
       pg_catalog.count(*) FILTER (WHERE q.status = 'done' AND q.outcome = 'found')         AS found,
       pg_catalog.count(*) FILTER (WHERE q.status = 'done' AND q.outcome = 'not_found')     AS not_found,
       pg_catalog.count(*) FILTER (WHERE q.status = 'failed')                               AS failed,
       pg_catalog.now() - pg_catalog.min(q.created_at) FILTER (WHERE q.status = 'pending')  AS oldest_pending_age,
       pg_catalog.count(*) FILTER (WHERE q.status = 'processing' AND q.lease_expires_at < pg_catalog.now())
                                                                                             AS expired_leases,
       pg_catalog.count(*) FILTER (WHERE q.last_failed_at > pg_catalog.now() - interval '1 hour')
                                                                                             AS failures_last_hour,
       pg_catalog.count(*) FILTER (WHERE q.status = 'done' AND q.completed_at > pg_catalog.now() - interval '1 hour')
                                                                                             AS done_last_hour
  FROM enterprise.lookup_requests AS q;

COMMENT ON VIEW enterprise.lookup_queue_stats IS
    'Lookup queue health: counts by status (and due, found, not_found), age of the oldest pending '
    'request, expired leases, requests that failed an attempt in the last hour, requests done in the last hour.';

REVOKE ALL ON enterprise.lookup_queue_stats FROM PUBLIC;
GRANT SELECT ON enterprise.lookup_queue_stats TO enrichment_reader, enrichment_worker, enrichment_admin;

COMMIT;
