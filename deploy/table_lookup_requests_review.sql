-- Deploy company_enrichment:table_lookup_requests_review to pg
-- requires: table_lookup_requests

BEGIN;

-- A status for answers the machine should not settle alone: EQC answered, but
-- no candidate scored auto_accept_confidence. A request under review is never
-- claimed (claimable_at is NULL), retried or pruned; its candidates, scored
-- and best first, wait in candidates for accept_lookup_candidate or
-- reject_lookup. Its name is not queued again meanwhile.
ALTER TABLE enterprise.lookup_requests
    DROP CONSTRAINT lookup_requests_status_check,
    ADD CONSTRAINT lookup_requests_status_check
        CHECK (status IN ('pending', 'processing', 'done', 'failed', 'review')),
    ADD COLUMN candidates jsonb,
    ADD CONSTRAINT lookup_requests_candidates_check
        CHECK (candidates IS NULL OR pg_catalog.jsonb_typeof(candidates) = 'array'),
    ADD CONSTRAINT lookup_requests_review_check CHECK (status <> 'review' OR candidates IS NOT NULL);

-- One request under review per name, found by name when the name is resolved.
CREATE UNIQUE INDEX lookup_requests_review_name_key
    ON enterprise.lookup_requests (normalized_name)
    WHERE status = 'review';

COMMENT ON COLUMN enterprise.lookup_requests.candidates IS
    'EQC''s candidates for a request sent to review, scored, best first: '
    '[{company_id, full_name, unite_code, eqc_type, confidence}]; kept after a person decides.';

COMMIT;
