-- Revert company_enrichment:function_check_worker from pg

BEGIN;

DROP FUNCTION enterprise._check_worker(text);

COMMIT;
