-- Revert company_enrichment:function_check_mapping from pg

BEGIN;

DROP FUNCTION enterprise._check_mapping(text, text, text, bigint);

COMMIT;
