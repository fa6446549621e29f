-- Revert company_enrichment:table_lookup_requests_review from pg

BEGIN;

-- v0.1 has no review: a request waiting for a person is looked up again, from
-- the start (its candidates are dropped with the column).
UPDATE enterprise.lookup_requests AS q
   SET status = 'pending', attempts = 0, next_attempt_at = pg_catalog.now(), updated_at = pg_catalog.now()
 WHERE q.status = 'review';

DROP INDEX enterprise.lookup_requests_review_name_key;

ALTER TABLE enterprise.lookup_requests
    DROP CONSTRAINT lookup_requests_review_check,
    DROP CONSTRAINT lookup_requests_candidates_check,
    DROP COLUMN candidates,
    DROP CONSTRAINT lookup_requests_status_check,
    ADD CONSTRAINT lookup_requests_status_check CHECK (status IN ('pending', 'processing', 'done', 'failed'));

COMMIT;
