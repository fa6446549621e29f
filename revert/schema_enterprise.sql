-- Revert company_enrichment:schema_enterprise from pg

BEGIN;

DROP SCHEMA enterprise;

COMMIT;
