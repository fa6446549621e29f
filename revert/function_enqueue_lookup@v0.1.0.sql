-- Revert company_enrichment:function_enqueue_lookup from pg

BEGIN;

DROP FUNCTION enterprise.enqueue_lookup(text);

COMMIT;
