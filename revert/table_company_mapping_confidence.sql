-- Revert company_enrichment:table_company_mapping_confidence from pg

BEGIN;

ALTER TABLE enterprise.company_mapping
    DROP COLUMN confidence,
    DROP COLUMN eqc_type;

COMMIT;
