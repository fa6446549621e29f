-- Deploy company_enrichment:trigger_lookup_requests_notify_revived to pg
-- requires: trigger_lookup_requests_notify

BEGIN;

-- Wakes idle workers when a failed request becomes pending again, whatever
-- revived it: resolve_company_ids or enqueue_lookup seeing its name again
-- after failed_retry_after, requeue_failed, or a DBA's UPDATE. A row trigger
-- whose WHEN clause is checked without calling the function, so claims,
-- completions and retries (no failed -> pending) cost nothing. NOTIFY folds
-- identical notifications of one transaction into one.
CREATE OR REPLACE FUNCTION enterprise._notify_lookup_revived()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    PERFORM pg_catalog.pg_notify('enterprise_lookup', '1');
    RETURN NULL;
END;
$$;

COMMENT ON FUNCTION enterprise._notify_lookup_revived() IS
    'Private trigger: NOTIFY enterprise_lookup when a failed request is pending again.';

REVOKE ALL ON FUNCTION enterprise._notify_lookup_revived() FROM PUBLIC;

CREATE TRIGGER lookup_requests_notify_revived
    AFTER UPDATE OF status ON enterprise.lookup_requests
    FOR EACH ROW
    WHEN (OLD.status = 'failed' AND NEW.status = 'pending')
    EXECUTE FUNCTION enterprise._notify_lookup_revived();

COMMIT;
