-- Revert company_enrichment:table_queue_settings from pg

BEGIN;

DROP TABLE enterprise.queue_settings;

COMMIT;
