-- Revert company_enrichment:function_requeue_failed from pg

BEGIN;

DROP FUNCTION enterprise.requeue_failed(interval);

COMMIT;
