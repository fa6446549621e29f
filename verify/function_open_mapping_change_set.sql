-- Verify company_enrichment:function_open_mapping_change_set on pg

BEGIN;

-- opens a change set and makes it current
SELECT 1 / (enterprise._open_mapping_change_set('sql', 'verify') = pg_catalog.current_setting('enrichment.change_set')::bigint)::int;
SELECT 1 / (NOT pg_catalog.has_function_privilege('enrichment_admin',
    'enterprise._open_mapping_change_set(text, text, bigint)', 'EXECUTE'))::int;

ROLLBACK;
