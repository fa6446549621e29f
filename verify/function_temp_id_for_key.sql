-- Verify company_enrichment:function_temp_id_for_key on pg
-- (checked by signature, not by a call: a call would spend a sequence value)

BEGIN;

SELECT 'enterprise._temp_id_for_key(text)'::pg_catalog.regprocedure;

ROLLBACK;
