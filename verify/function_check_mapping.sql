-- Verify company_enrichment:function_check_mapping on pg

BEGIN;

SELECT enterprise._check_mapping('AN001', '614810477', 'plan');

ROLLBACK;
