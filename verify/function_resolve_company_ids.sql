-- Verify company_enrichment:function_resolve_company_ids on pg

BEGIN;

SELECT 1 / pg_catalog.has_function_privilege('enrichment_reader',
    'enterprise.resolve_company_ids(text[], text[], text[], text[])', 'EXECUTE')::int;
SELECT 1 / (SELECT count(*) FROM enterprise.resolve_company_ids(customer_names => ARRAY['verify']))::int;

-- names settled during the statement are not queued again
SELECT 1 / (pg_catalog.pg_get_functiondef('enterprise.resolve_company_ids(text[], text[], text[], text[])'::regprocedure)
            LIKE '%enterprise._settled_since(%')::int;
-- the 0.3 body: a single record a mapping resolves is answered from the lookup alone
SELECT 1 / (pg_catalog.pg_get_functiondef('enterprise.resolve_company_ids(text[], text[], text[], text[])'::regprocedure)
            LIKE '%IF _n = 1 THEN%RETURN NEXT;%')::int;

ROLLBACK;
