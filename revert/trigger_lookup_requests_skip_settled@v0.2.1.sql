-- Deploy company_enrichment:trigger_lookup_requests_skip_settled to pg
-- requires: function_settled_since

BEGIN;

-- A name is never queued again for a request that others settled while the
-- queuing statement ran. The statement decided to queue the name from its
-- snapshot, taken when it started; by the time it inserts (it may have
-- waited on another session's insert of an overlapping name), the name may
-- have been queued, looked up and settled. The insert is skipped then, and
-- the callers (resolve_company_ids, enqueue_lookup) answer with the settled
-- request: one EQC search per name, however the batches interleave. The check
-- runs at insert time, in a fresh snapshot.
CREATE OR REPLACE FUNCTION enterprise._skip_settled_lookup()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF enterprise._settled_since(NEW.normalized_name, pg_catalog.statement_timestamp()) IS NOT NULL THEN
        RETURN NULL;
    END IF;
    RETURN NEW;
END;
$$;

COMMENT ON FUNCTION enterprise._skip_settled_lookup() IS
    'Private trigger: skips queuing a name whose request was settled since the statement began.';

REVOKE ALL ON FUNCTION enterprise._skip_settled_lookup() FROM PUBLIC;

-- (the trigger itself is the same in both versions: it stays)

COMMIT;
