-- Verify company_enrichment:function_configure_lookup_queue on pg

BEGIN;

SELECT 1 / ((enterprise.configure_lookup_queue()).max_attempts >= 1)::int;
SELECT 1 / ((enterprise.configure_lookup_queue()).auto_accept_confidence BETWEEN 0 AND 1)::int;

ROLLBACK;
