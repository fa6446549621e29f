-- Deploy company_enrichment:function_settled_since to pg
-- requires: table_lookup_requests

BEGIN;

SET LOCAL ROLE enrichment_owner;

-- Private: the newest request for a normalized name that was settled (done)
-- since the given time, read in a snapshot of its own. resolve_company_ids
-- asks it just before it queues a name: the statement's own snapshot was
-- taken when it started, and a request for the name may have been queued,
-- looked up and settled by others since then. Queuing the name again would
-- search EQC twice for it. VOLATILE plpgsql, so each call sees what has
-- committed by then (a SQL function could be inlined into the caller's
-- snapshot).
CREATE OR REPLACE FUNCTION enterprise._settled_since(normalized_name text, since timestamptz)
RETURNS bigint
LANGUAGE plpgsql
VOLATILE
STRICT
SET search_path = pg_catalog, pg_temp
-- Planner settings that keep every call an index lookup with a plan made once
-- per session, whatever the statistics say (README, "Plans that hold").
SET enable_seqscan = off
SET jit = off
AS $$
BEGIN
    RETURN (SELECT q.id FROM enterprise.lookup_requests AS q
             WHERE q.normalized_name = _settled_since.normalized_name
               -- status = 'done', written so that only the name index fits
               -- (see _skip_settled_lookup)
               AND q.status IN ('done', 'failed') AND q.outcome IS NOT NULL
               AND q.completed_at >= _settled_since.since
             ORDER BY q.completed_at DESC, q.id DESC
             LIMIT 1);
END;
$$;

COMMENT ON FUNCTION enterprise._settled_since(text, timestamptz) IS
    'Private: the newest request for a normalized name settled since a time, in a fresh snapshot.';

REVOKE ALL ON FUNCTION enterprise._settled_since(text, timestamptz) FROM PUBLIC;

COMMIT;
