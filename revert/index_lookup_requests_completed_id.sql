-- Revert company_enrichment:index_lookup_requests_completed_id from pg

BEGIN;

CREATE INDEX lookup_requests_completed_idx
    ON enterprise.lookup_requests (completed_at)
    WHERE status = 'done';

DROP INDEX enterprise.lookup_requests_completed_id_idx;

COMMIT;
