-- Revert company_enrichment:table_queue_settings_settle_commit from pg

BEGIN;

SET LOCAL ROLE enrichment_owner;

ALTER TABLE enterprise.queue_settings DROP COLUMN settle_synchronous_commit;

COMMIT;
