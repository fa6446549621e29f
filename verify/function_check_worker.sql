-- Verify company_enrichment:function_check_worker on pg

BEGIN;

SELECT enterprise._check_worker('verify');

ROLLBACK;
