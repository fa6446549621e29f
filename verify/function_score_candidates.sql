-- Verify company_enrichment:function_score_candidates on pg

BEGIN;

SELECT 1 / (confidence = 1.00)::int
  FROM enterprise._score_candidates(ARRAY['verify公司'],
                                    ARRAY['[{"companyId": "1", "companyFullName": "Verify 公司", "type": "拼音"}]'::jsonb]);

-- the reworked bodies: a full name spelled as the key is compared before
-- normalize_name runs (v0.3.0); one flat validation pass (v0.5.2)
SELECT 1 / (pg_catalog.strpos(p.prosrc, 'WHEN e.value ->> ''companyFullName'' = a.key THEN 1.00') > 0
            AND pg_catalog.strpos(p.prosrc, 'IF NOT _ok THEN') > 0)::int
  FROM pg_catalog.pg_proc AS p
 WHERE p.oid = 'enterprise._score_candidates(text[], jsonb[], boolean)'::pg_catalog.regprocedure;

ROLLBACK;
