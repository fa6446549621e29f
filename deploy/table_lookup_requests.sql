-- Deploy company_enrichment:table_lookup_requests to pg
-- requires: function_normalize_name

BEGIN;

-- Customer names waiting for (or done with) an EQC lookup.
--   pending    -> claimable once next_attempt_at has come
--   processing -> held by lease_owner until lease_expires_at; claimable again
--                 after that (a crashed worker loses nothing)
--   done       -> outcome found (company_id set, mapping cached) or not_found
--   failed     -> gave up after max_attempts; last_error says why
CREATE TABLE enterprise.lookup_requests (
    id               bigint      GENERATED ALWAYS AS IDENTITY,
    name             text        NOT NULL,
    normalized_name  text        NOT NULL,
    status           text        NOT NULL DEFAULT 'pending',
    attempts         integer     NOT NULL DEFAULT 0,
    last_error       text,
    created_at       timestamptz NOT NULL DEFAULT pg_catalog.now(),
    updated_at       timestamptz NOT NULL DEFAULT pg_catalog.now(),
    next_attempt_at  timestamptz NOT NULL DEFAULT pg_catalog.now(),
    lease_owner      text,
    lease_expires_at timestamptz,
    outcome          text,
    company_id       text,
    official_name    text,
    unite_code       text,
    completed_at     timestamptz,
    last_failed_at   timestamptz,
    -- When the request may next be claimed: derived, so the claim query is
    -- one ordered scan of one partial index.
    claimable_at     timestamptz GENERATED ALWAYS AS (
        CASE status WHEN 'pending' THEN next_attempt_at
                    WHEN 'processing' THEN lease_expires_at
        END) STORED,
    CONSTRAINT lookup_requests_pkey PRIMARY KEY (id),
    CONSTRAINT lookup_requests_status_check CHECK (status IN ('pending', 'processing', 'done', 'failed')),
    CONSTRAINT lookup_requests_normalized_name_check CHECK (normalized_name <> ''),
    CONSTRAINT lookup_requests_name_check CHECK (pg_catalog.length(name) <= 255),
    CONSTRAINT lookup_requests_attempts_check CHECK (attempts >= 0),
    CONSTRAINT lookup_requests_lease_check CHECK (
        (status = 'processing') = (lease_owner IS NOT NULL AND lease_expires_at IS NOT NULL)),
    CONSTRAINT lookup_requests_outcome_check CHECK (
        (status = 'done') = (outcome IS NOT NULL)
        AND (outcome IS NULL OR outcome IN ('found', 'not_found'))
        AND ((outcome = 'found') = (company_id IS NOT NULL))
        AND ((status = 'done') = (completed_at IS NOT NULL)))
);

-- The same name is never queued twice while a request for it is live.
CREATE UNIQUE INDEX lookup_requests_active_name_key
    ON enterprise.lookup_requests (normalized_name)
    WHERE status IN ('pending', 'processing');

-- Claims: due requests in order, never touching done or failed rows.
CREATE INDEX lookup_requests_claim_idx
    ON enterprise.lookup_requests (claimable_at, id)
    WHERE status IN ('pending', 'processing');

-- Resolution asks per name: a failed request, or a recent not_found answer.
CREATE INDEX lookup_requests_settled_name_idx
    ON enterprise.lookup_requests (normalized_name, completed_at)
    WHERE status IN ('done', 'failed');

-- Pruning and stats walk done requests by age.
CREATE INDEX lookup_requests_completed_idx
    ON enterprise.lookup_requests (completed_at)
    WHERE status = 'done';

COMMENT ON TABLE enterprise.lookup_requests IS
    'EQC lookup queue, one row per request. Drive it with enqueue_lookup, claim_lookups, '
    'claim_lookup, complete_lookup, complete_lookup_not_found, fail_lookup, release_lookups.';
COMMENT ON COLUMN enterprise.lookup_requests.name IS 'The customer name as first given (trimmed).';
COMMENT ON COLUMN enterprise.lookup_requests.normalized_name IS 'normalize_name(name): the dedupe key.';
COMMENT ON COLUMN enterprise.lookup_requests.attempts IS 'Claims so far (a release gives one back).';
COMMENT ON COLUMN enterprise.lookup_requests.next_attempt_at IS 'A pending request is claimable from then on.';
COMMENT ON COLUMN enterprise.lookup_requests.lease_owner IS 'The worker holding a processing request.';
COMMENT ON COLUMN enterprise.lookup_requests.lease_expires_at IS 'After this, another worker may claim it.';
COMMENT ON COLUMN enterprise.lookup_requests.outcome IS 'found or not_found, for done requests.';
COMMENT ON COLUMN enterprise.lookup_requests.company_id IS 'The company id EQC gave (outcome found).';
COMMENT ON COLUMN enterprise.lookup_requests.claimable_at IS
    'Derived: next_attempt_at when pending, lease_expires_at when processing, else NULL.';

REVOKE ALL ON enterprise.lookup_requests FROM PUBLIC;

COMMIT;
