-- Revert company_enrichment:function_name_decoration_patterns from pg

BEGIN;

DROP FUNCTION enterprise._name_decoration_patterns();

COMMIT;
