-- Revert company_enrichment:view_lookup_review from pg

BEGIN;

DROP VIEW enterprise.lookup_review;

COMMIT;
