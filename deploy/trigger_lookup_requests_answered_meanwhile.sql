-- Deploy company_enrichment:trigger_lookup_requests_answered_meanwhile to pg
-- requires: trigger_lookup_requests_skip_settled
-- requires: owner_enrichment_owner

BEGIN;

SET LOCAL ROLE enrichment_owner;

-- The second half of "one EQC search per name". The BEFORE INSERT trigger
-- (_skip_settled_lookup) skips a name whose request was settled since the
-- queuing statement began; but it runs before the insert waits on the unique
-- index for a concurrent insert of the same name. When that concurrent request
-- commits, is claimed and is settled while this insert still waits (a busy
-- machine, a fast EQC answer), the wait ends with no live request left to
-- conflict with, and the name would be queued, and searched, a second time.
--
-- At the end of the inserting statement this trigger looks again, in a fresh
-- snapshot, and settles each request just queued whose name was answered by
-- another request since the statement began: same outcome, same company,
-- the other request's completed_at, attempts 0 (a request done with no attempt
-- was answered by another). The caller keeps the request id it was given; no
-- worker ever claims it.
CREATE OR REPLACE FUNCTION enterprise._settle_answered_meanwhile()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
-- Index probes whatever the statistics say (README, "Plans that hold").
SET enable_seqscan = off
SET jit = off
AS $$
BEGIN
    -- Driven from the requests settled since the statement began: a handful,
    -- however many names the statement queued (one index range scan).
    WITH answered AS MATERIALIZED (
        SELECT DISTINCT ON (o.normalized_name)
               o.id, o.normalized_name, o.outcome, o.company_id, o.official_name, o.unite_code, o.completed_at
          FROM enterprise.lookup_requests AS o
         WHERE o.status = 'done' AND o.completed_at >= pg_catalog.statement_timestamp()
         ORDER BY o.normalized_name, o.completed_at DESC
    ),
    -- then matched by name against what the statement queued, and only the
    -- matches are looked up by key.
    matched AS MATERIALIZED (
        SELECT n.id AS queued_id, a.outcome, a.company_id, a.official_name, a.unite_code, a.completed_at
          FROM queued AS n
          JOIN answered AS a ON a.normalized_name = n.normalized_name AND a.id <> n.id
    )
    UPDATE enterprise.lookup_requests AS q
       SET status = 'done', outcome = m.outcome, company_id = m.company_id,
           official_name = m.official_name, unite_code = m.unite_code,
           completed_at = m.completed_at, updated_at = pg_catalog.now()
      FROM matched AS m
     WHERE q.id = m.queued_id AND q.status = 'pending';
    RETURN NULL;
END;
$$;

COMMENT ON FUNCTION enterprise._settle_answered_meanwhile() IS
    'Private trigger: settles a request just queued whose name another request answered while the statement ran.';

REVOKE ALL ON FUNCTION enterprise._settle_answered_meanwhile() FROM PUBLIC;

-- Fires before lookup_requests_notify (triggers of one event fire in name order).
CREATE TRIGGER lookup_requests_answered_meanwhile
    AFTER INSERT ON enterprise.lookup_requests
    REFERENCING NEW TABLE AS queued
    FOR EACH STATEMENT
    EXECUTE FUNCTION enterprise._settle_answered_meanwhile();

COMMIT;
