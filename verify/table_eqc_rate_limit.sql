-- Verify company_enrichment:table_eqc_rate_limit on pg

BEGIN;

SELECT bucket, next_allowed_at FROM enterprise.eqc_rate_limit WHERE false;

ROLLBACK;
