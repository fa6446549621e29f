-- Revert company_enrichment:function_name_decorations from pg

BEGIN;

DROP FUNCTION enterprise._name_decorations();

COMMIT;
