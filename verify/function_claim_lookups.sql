-- Verify company_enrichment:function_claim_lookups on pg

BEGIN;

SELECT 1 / pg_catalog.has_function_privilege('enrichment_worker',
    'enterprise.claim_lookups(integer, text, interval, integer)', 'EXECUTE')::int;

-- the reworked body: the batch is updated by one primary-key scan, with no join back to the claimed rows
SELECT 1 / (pg_catalog.strpos(p.prosrc, 'q.id = due.id') = 0
            AND pg_catalog.strpos(p.prosrc, 'WHERE q.id = ANY (ARRAY(SELECT d.id FROM due AS d))') > 0)::int
  FROM pg_catalog.pg_proc AS p
 WHERE p.oid = 'enterprise.claim_lookups(integer, text, interval, integer)'::pg_catalog.regprocedure;

ROLLBACK;
