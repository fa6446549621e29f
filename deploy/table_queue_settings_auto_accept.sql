-- Deploy company_enrichment:table_queue_settings_auto_accept to pg
-- requires: table_queue_settings

BEGIN;

-- The least confidence at which an EQC answer is learned without a person:
-- below it, the request goes to review (enterprise.lookup_review).
ALTER TABLE enterprise.queue_settings
    ADD COLUMN auto_accept_confidence numeric(3,2) NOT NULL DEFAULT 0.80,
    ADD CONSTRAINT queue_settings_auto_accept_check CHECK (auto_accept_confidence BETWEEN 0 AND 1);

COMMENT ON COLUMN enterprise.queue_settings.auto_accept_confidence IS
    'An EQC answer scoring at least this is learned at once; below it, the request waits for a person (review).';

COMMIT;
