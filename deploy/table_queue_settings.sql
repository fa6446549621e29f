-- Deploy company_enrichment:table_queue_settings to pg
-- requires: schema_enterprise

BEGIN;

-- The lookup queue's policy: one row a DBA can change (configure_lookup_queue
-- or a plain UPDATE as the owner). Queue functions read it on every call and
-- accept per-call overrides.
CREATE TABLE enterprise.queue_settings (
    singleton             boolean  NOT NULL DEFAULT true,
    max_attempts          integer  NOT NULL DEFAULT 3,
    backoff_base          interval NOT NULL DEFAULT '300 seconds',
    backoff_cap           interval NOT NULL DEFAULT '6 hours',
    default_lease         interval NOT NULL DEFAULT '5 minutes',
    negative_cache_period interval NOT NULL DEFAULT '30 days',
    failed_retry_after    interval          DEFAULT '7 days',
    updated_at            timestamptz NOT NULL DEFAULT pg_catalog.now(),
    CONSTRAINT queue_settings_pkey PRIMARY KEY (singleton),
    CONSTRAINT queue_settings_singleton_check CHECK (singleton),
    CONSTRAINT queue_settings_max_attempts_check CHECK (max_attempts BETWEEN 1 AND 100),
    CONSTRAINT queue_settings_backoff_check CHECK (backoff_base >= '0' AND backoff_cap >= backoff_base),
    CONSTRAINT queue_settings_lease_check CHECK (default_lease > '0' AND default_lease <= '1 day'),
    CONSTRAINT queue_settings_negative_cache_check CHECK (negative_cache_period >= '0'),
    CONSTRAINT queue_settings_failed_retry_check CHECK (failed_retry_after IS NULL OR failed_retry_after >= '0')
);

INSERT INTO enterprise.queue_settings DEFAULT VALUES;

COMMENT ON TABLE enterprise.queue_settings IS
    'Lookup-queue policy, one row. Change it with configure_lookup_queue().';
COMMENT ON COLUMN enterprise.queue_settings.max_attempts IS
    'Attempts before a request becomes failed (WDH_LOOKUP_RETRY_MAX overrides per call).';
COMMENT ON COLUMN enterprise.queue_settings.backoff_base IS
    'First retry delay; doubles per attempt, with jitter (WDH_LOOKUP_RETRY_DELAY overrides per call).';
COMMENT ON COLUMN enterprise.queue_settings.backoff_cap IS 'Longest retry delay.';
COMMENT ON COLUMN enterprise.queue_settings.default_lease IS
    'How long a claim holds a request before another worker may take it over.';
COMMENT ON COLUMN enterprise.queue_settings.negative_cache_period IS
    'After EQC found nothing for a name, how long resolution answers with a TEMP id before asking again.';
COMMENT ON COLUMN enterprise.queue_settings.failed_retry_after IS
    'A failed request is revived when its name is resolved again this long after it failed '
    '(NULL: only requeue_failed revives it).';

REVOKE ALL ON enterprise.queue_settings FROM PUBLIC;

COMMIT;
