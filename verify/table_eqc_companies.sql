-- Verify company_enrichment:table_eqc_companies on pg

BEGIN;

SELECT company_id, full_name, unite_code, raw, last_search_key, first_seen_at, last_seen_at
  FROM enterprise.eqc_companies
 WHERE false;

ROLLBACK;
