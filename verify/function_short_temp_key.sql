-- Verify company_enrichment:function_short_temp_key on pg

BEGIN;

SELECT 1 / (pg_catalog.octet_length(enterprise._short_temp_key(pg_catalog.repeat('长', 5000))) < 1000)::int;

ROLLBACK;
