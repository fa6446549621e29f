-- Verify company_enrichment:function_score_candidates on pg

BEGIN;

SELECT 1 / (confidence = 1.00)::int
  FROM enterprise._score_candidates(ARRAY['verify公司'],
                                    ARRAY['[{"companyId": "1", "companyFullName": "Verify 公司", "type": "拼音"}]'::jsonb]);

ROLLBACK;
