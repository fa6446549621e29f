-- Verify company_enrichment:function_configure_lookup_queue on pg

BEGIN;

SELECT 1 / ((enterprise.configure_lookup_queue()).max_attempts >= 1)::int;

ROLLBACK;
