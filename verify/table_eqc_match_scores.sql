-- Verify company_enrichment:table_eqc_match_scores on pg

BEGIN;

SELECT 1 / (pg_catalog.count(*) = 1)::int FROM enterprise.eqc_match_scores WHERE eqc_type = '*';

ROLLBACK;
