-- Revert company_enrichment:function_search_mappings from pg

BEGIN;
SET LOCAL ROLE enrichment_owner;

DROP FUNCTION enterprise.search_mappings(text, text, text, integer);

COMMIT;
