-- Revert company_enrichment:function_normalize_name_full from pg

BEGIN;

SET LOCAL ROLE enrichment_owner;

DROP FUNCTION enterprise._normalize_name_full(text);

COMMIT;
