-- Verify company_enrichment:function_explain_company_id on pg

BEGIN;

-- Readers may call it, PUBLIC may not.
SELECT 1 / pg_catalog.has_function_privilege('enrichment_reader',
    'enterprise.explain_company_id(text, text, text, text)', 'EXECUTE')::int;
SELECT 1 / (NOT pg_catalog.has_function_privilege('public',
    'enterprise.explain_company_id(text, text, text, text)', 'EXECUTE'))::int;

-- It answers: seven steps, exactly one of which gave the answer (a record with
-- no field at all reaches the TEMP id step and writes nothing).
SELECT 1 / (pg_catalog.count(*) = 7 AND pg_catalog.count(*) FILTER (WHERE e.answered) = 1
            AND pg_catalog.bool_and(e.step <> 7 OR (e.kind = 'temp_id' AND e.answered)))::int
  FROM enterprise.explain_company_id() AS e;

ROLLBACK;
