-- Revert company_enrichment:function_settled_since from pg

BEGIN;

DROP FUNCTION enterprise._settled_since(text, timestamptz);

COMMIT;
