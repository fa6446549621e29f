-- Revert company_enrichment:function_configure_eqc_match_score from pg

BEGIN;

DROP FUNCTION enterprise.configure_eqc_match_score(text, numeric);

COMMIT;
