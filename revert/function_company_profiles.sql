-- Revert company_enrichment:function_company_profiles from pg

BEGIN;

DROP FUNCTION enterprise.company_profiles(text[]);

COMMIT;
