-- Deploy company_enrichment:function_take_for_review to pg
-- requires: function_settle_lookups_private
-- requires: table_lookup_requests_review

BEGIN;

-- Private: locks a request under review and hands it to the settling code as
-- held by 'review:<user>', or raises (CE002 no such request, CE003 not under
-- review: someone else settled it first).
CREATE OR REPLACE FUNCTION enterprise._take_for_review(request_id bigint, OUT worker text, OUT request enterprise.lookup_requests)
LANGUAGE plpgsql
VOLATILE
SET search_path = pg_catalog, pg_temp
SET enable_seqscan = off
SET jit = off
AS $$
BEGIN
    SELECT * INTO request FROM enterprise.lookup_requests AS q WHERE q.id = _take_for_review.request_id FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION USING
            ERRCODE = 'CE002',
            MESSAGE = 'lookup request does not exist',
            DETAIL  = pg_catalog.format('request_id %s', COALESCE(request_id::text, 'NULL')),
            HINT    = 'Use a request_id from enterprise.lookup_review.';
    END IF;
    IF request.status <> 'review' THEN
        RAISE EXCEPTION USING
            ERRCODE = 'CE003',
            MESSAGE = 'lookup request is not under review',
            DETAIL  = pg_catalog.format('request_id %s (%L) is %s%s', request.id, request.name, request.status,
                          CASE WHEN request.outcome IS NOT NULL
                               THEN pg_catalog.format(' (%s%s)', request.outcome,
                                                      COALESCE(' ' || request.company_id, ''))
                               ELSE '' END),
            HINT    = 'Someone else decided it first, or EQC''s answer was never uncertain; see enterprise.lookup_review.';
    END IF;
    worker := 'review:' || pg_catalog.left(session_user::text, 150);
    UPDATE enterprise.lookup_requests AS q
       SET status = 'processing', lease_owner = _take_for_review.worker,
           lease_expires_at = pg_catalog.now() + interval '1 minute'
     WHERE q.id = request.id;
END;
$$;

COMMENT ON FUNCTION enterprise._take_for_review(bigint) IS
    'Private: locks a request under review for a decision; raises CE002 or CE003.';

REVOKE ALL ON FUNCTION enterprise._take_for_review(bigint) FROM PUBLIC;

COMMIT;
