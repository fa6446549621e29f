-- Revert company_enrichment:function_eqc_candidate_fault from pg

BEGIN;

DROP FUNCTION enterprise._eqc_candidate_fault(jsonb, boolean);

COMMIT;
