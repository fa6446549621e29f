-- Revert company_enrichment:function_acquire_eqc_permit from pg

BEGIN;

DROP FUNCTION enterprise.acquire_eqc_permit(integer, text);

COMMIT;
