-- Verify company_enrichment:table_temp_id_assignments on pg

BEGIN;

SELECT temp_key, temp_id, created_at FROM enterprise.temp_id_assignments WHERE false;

ROLLBACK;
