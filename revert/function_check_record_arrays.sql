-- Revert company_enrichment:function_check_record_arrays from pg

BEGIN;

DROP FUNCTION enterprise._check_record_arrays(text, text[], text[], text[], text[]);

COMMIT;
