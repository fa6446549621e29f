-- Verify company_enrichment:function_claim_policy on pg

BEGIN;

SELECT 1 / ((enterprise._claim_policy(NULL, NULL)).attempts_for >= 1)::int;

ROLLBACK;
