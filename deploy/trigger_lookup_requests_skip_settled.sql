-- Deploy company_enrichment:trigger_lookup_requests_skip_settled to pg
-- (reworked after v0.2.0: the check is one query in the trigger function
-- itself, not a nested call of _settled_since, which halves what it costs a
-- new name; the trigger is unchanged. Reworked after v0.2.1: the query can
-- only use the name index, see below)
-- requires: function_settled_since

BEGIN;

SET LOCAL ROLE enrichment_owner;

-- A name is never queued again for a request that others settled while the
-- queuing statement ran. The statement decided to queue the name from its
-- snapshot, taken when it started; by the time it inserts (it may have
-- waited on another session's insert of an overlapping name), the name may
-- have been queued, looked up and settled. The insert is skipped then, and
-- the callers (resolve_company_ids, enqueue_lookup) answer with the settled
-- request: one EQC search per name, however the batches interleave. The check
-- runs at insert time, in a fresh snapshot (a VOLATILE trigger function's
-- query sees what has committed by then).
CREATE OR REPLACE FUNCTION enterprise._skip_settled_lookup()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
-- An index probe whatever the statistics say when the plan was cached
-- (README, "Plans that hold").
SET enable_seqscan = off
SET jit = off
AS $$
BEGIN
    -- status IN ('done', 'failed') AND outcome IS NOT NULL is status = 'done'
    -- (lookup_requests_outcome_check), written so that only the name index
    -- lookup_requests_settled_name_idx (normalized_name, completed_at) fits:
    -- with status = 'done' the planner takes the (completed_at, id) index and
    -- reads every request settled since the statement began, for every name
    -- (0.5 ms a name once workers had settled 2,000 meanwhile).
    IF EXISTS (SELECT 1 FROM enterprise.lookup_requests AS q
                WHERE q.normalized_name = NEW.normalized_name
                  AND q.status IN ('done', 'failed') AND q.outcome IS NOT NULL
                  AND q.completed_at >= pg_catalog.statement_timestamp()) THEN
        RETURN NULL;
    END IF;
    RETURN NEW;
END;
$$;

COMMENT ON FUNCTION enterprise._skip_settled_lookup() IS
    'Private trigger: skips queuing a name whose request was settled since the statement began.';

COMMIT;
