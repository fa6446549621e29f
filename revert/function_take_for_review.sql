-- Revert company_enrichment:function_take_for_review from pg

BEGIN;

DROP FUNCTION enterprise._take_for_review(bigint);

COMMIT;
