-- Verify company_enrichment:table_company_mapping_history on pg

BEGIN;

SELECT id, change_set, operation, alias_name, match_type, canonical_id_before, canonical_id_after,
       source_before, source_after, confidence_before, confidence_after, eqc_type_before, eqc_type_after,
       updated_at_before, updated_at_after, changed_at, session_user_name, application_name, changed_by
  FROM enterprise.company_mapping_history
 WHERE false;

-- nobody but the owner may read or write it
SELECT 1 / (NOT pg_catalog.has_table_privilege('enrichment_admin', 'enterprise.company_mapping_history',
                                                'SELECT, INSERT, UPDATE, DELETE'))::int;

ROLLBACK;
