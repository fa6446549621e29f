-- Verify company_enrichment:table_company_mapping_change_sets on pg

BEGIN;

SELECT id, kind, label, reverts, txid, session_user_name, application_name, changed_by, created_at,
       inserted, updated, deleted
  FROM enterprise.company_mapping_change_sets
 WHERE false;

-- nobody but the owner may read or write it
SELECT 1 / (NOT pg_catalog.has_table_privilege('enrichment_admin', 'enterprise.company_mapping_change_sets',
                                                'SELECT, INSERT, UPDATE, DELETE'))::int;

ROLLBACK;
