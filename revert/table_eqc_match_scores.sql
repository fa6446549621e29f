-- Revert company_enrichment:table_eqc_match_scores from pg

BEGIN;

DROP TABLE enterprise.eqc_match_scores;

COMMIT;
