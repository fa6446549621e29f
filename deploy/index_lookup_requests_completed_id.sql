-- Deploy company_enrichment:index_lookup_requests_completed_id to pg
-- requires: table_lookup_requests

BEGIN;

-- Pruning walks done requests in (completed_at, id) order and starts each
-- batch where the last one ended: the id breaks ties on completed_at (every
-- request a complete_lookups call settles shares one), so the cursor is exact
-- and a batch never reads again the index entries an earlier batch of the
-- same transaction deleted. It answers everything the (completed_at) index
-- did, which it replaces: one index entry per completion, as before.
CREATE INDEX lookup_requests_completed_id_idx
    ON enterprise.lookup_requests (completed_at, id)
    WHERE status = 'done';

DROP INDEX enterprise.lookup_requests_completed_idx;

COMMIT;
