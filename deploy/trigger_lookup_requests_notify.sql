-- Deploy company_enrichment:trigger_lookup_requests_notify to pg
-- requires: table_lookup_requests

BEGIN;

-- Wakes idle workers: one NOTIFY on channel enterprise_lookup per statement
-- that queues new requests, whether one (enqueue_lookup) or many (a batch
-- resolution). The payload is the number of requests created.
CREATE OR REPLACE FUNCTION enterprise._notify_lookup_requests()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    _created bigint;
BEGIN
    SELECT pg_catalog.count(*) INTO _created FROM created;
    IF _created > 0 THEN
        PERFORM pg_catalog.pg_notify('enterprise_lookup', _created::text);
    END IF;
    RETURN NULL;
END;
$$;

COMMENT ON FUNCTION enterprise._notify_lookup_requests() IS
    'Private trigger: NOTIFY enterprise_lookup with the number of requests a statement queued.';

REVOKE ALL ON FUNCTION enterprise._notify_lookup_requests() FROM PUBLIC;

CREATE TRIGGER lookup_requests_notify
    AFTER INSERT ON enterprise.lookup_requests
    REFERENCING NEW TABLE AS created
    FOR EACH STATEMENT
    EXECUTE FUNCTION enterprise._notify_lookup_requests();

COMMIT;
