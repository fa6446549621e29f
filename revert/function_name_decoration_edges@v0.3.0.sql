-- Revert company_enrichment:function_name_decoration_edges from pg

BEGIN;

DROP FUNCTION enterprise._name_decoration_edges();

COMMIT;
