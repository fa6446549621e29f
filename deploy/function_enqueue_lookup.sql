-- Deploy company_enrichment:function_enqueue_lookup to pg
-- (reworked for v0.2.0: a name under review is answered with its request)
-- requires: table_lookup_requests
-- requires: table_queue_settings
-- requires: trigger_lookup_requests_notify
-- requires: table_lookup_requests_review
-- requires: function_settled_since

BEGIN;

-- Queues a lookup for a customer name, once per normalized name:
--   a pending, processing or review request for the name -> that request;
--   a request settled since the calling statement began -> that request;
--   a failed one -> that request, revived (pending, attempts 0) when it failed
--     at least queue_settings.failed_retry_after ago;
--   otherwise a new pending request (NOTIFY enterprise_lookup).
CREATE OR REPLACE FUNCTION enterprise.enqueue_lookup(name text)
RETURNS enterprise.lookup_requests
LANGUAGE plpgsql
VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    _name  text := pg_catalog.btrim(enqueue_lookup.name);
    _key   text := enterprise.normalize_name(enqueue_lookup.name);
    _retry interval := (SELECT s.failed_retry_after FROM enterprise.queue_settings AS s WHERE s.singleton);
    _r     enterprise.lookup_requests;
    _settled bigint;
BEGIN
    IF COALESCE(_key, '') = '' THEN
        RAISE EXCEPTION USING
            ERRCODE = 'invalid_parameter_value',
            MESSAGE = 'the name has an empty lookup key',
            DETAIL  = pg_catalog.format('name %L normalizes to %L', enqueue_lookup.name, COALESCE(_key, '')),
            HINT    = 'Only a real customer name can be looked up; blanks, placeholders (n/a, 无, -) '
                      'and status words alone identify no company.';
    END IF;
    IF pg_catalog.length(_key) > 255 THEN
        RAISE EXCEPTION USING
            ERRCODE = 'string_data_right_truncation',
            MESSAGE = 'the name is longer than 255 characters',
            DETAIL  = pg_catalog.format('name %L... normalizes to %s characters', pg_catalog.left(_name, 40),
                                        pg_catalog.length(_key)),
            HINT    = 'A learned mapping stores at most 255 characters; shorten the name.';
    END IF;
    -- Decorations and spaces may make the spelling longer than its key; the
    -- queue keeps at most 255 characters of it (EQC is searched by the key).
    _name := pg_catalog.left(_name, 255);

    FOR _try IN 1..3 LOOP
        SELECT * INTO _r FROM enterprise.lookup_requests AS q
         WHERE q.normalized_name = _key AND q.status IN ('pending', 'processing');
        IF FOUND THEN
            RETURN _r;
        END IF;
        -- waiting for a person: not queued again meanwhile
        SELECT * INTO _r FROM enterprise.lookup_requests AS q
         WHERE q.normalized_name = _key AND q.status = 'review';
        IF FOUND THEN
            RETURN _r;
        END IF;
        -- settled by others since this statement began (the insert below
        -- would be skipped by trigger lookup_requests_skip_settled)
        _settled := enterprise._settled_since(_key, pg_catalog.statement_timestamp());
        SELECT * INTO _r FROM enterprise.lookup_requests AS q WHERE q.id = _settled;
        IF FOUND THEN
            RETURN _r;
        END IF;

        SELECT * INTO _r FROM enterprise.lookup_requests AS q
         WHERE q.normalized_name = _key AND q.status = 'failed'
         ORDER BY q.id DESC LIMIT 1
           FOR UPDATE;
        IF FOUND THEN
            IF _retry IS NOT NULL AND _r.last_failed_at <= pg_catalog.now() - _retry THEN
                UPDATE enterprise.lookup_requests AS q
                   SET status = 'pending', attempts = 0, next_attempt_at = pg_catalog.now(),
                       updated_at = pg_catalog.now()
                 WHERE q.id = _r.id
                RETURNING * INTO _r;
                PERFORM pg_catalog.pg_notify('enterprise_lookup', '1');
            END IF;
            RETURN _r;
        END IF;

        INSERT INTO enterprise.lookup_requests AS q (name, normalized_name)
        VALUES (_name, _key)
        ON CONFLICT (normalized_name) WHERE status IN ('pending', 'processing') DO NOTHING
        RETURNING * INTO _r;
        IF FOUND THEN
            RETURN _r;
        END IF;
        -- A concurrent session queued it between our look and our insert:
        -- look again (a new statement sees its committed row).
    END LOOP;

    RAISE EXCEPTION USING
        ERRCODE = 'serialization_failure',
        MESSAGE = 'enqueue_lookup: the request changed concurrently',
        DETAIL  = pg_catalog.format('normalized name %L', _key),
        HINT    = 'Retry the transaction.';
END;
$$;

COMMENT ON FUNCTION enterprise.enqueue_lookup(text) IS
    'Queues an EQC lookup for a customer name, idempotent per normalized name while a request '
    'is pending, processing, under review or failed (a failed one is revived after failed_retry_after). '
    'NOTIFY enterprise_lookup when it creates one. Errors: 22023 empty key; 22001 name over 255 characters.';

REVOKE ALL ON FUNCTION enterprise.enqueue_lookup(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION enterprise.enqueue_lookup(text) TO enrichment_worker;

COMMIT;
