-- Revert company_enrichment:table_queue_settings_auto_accept from pg

BEGIN;

ALTER TABLE enterprise.queue_settings DROP COLUMN auto_accept_confidence;

COMMIT;
