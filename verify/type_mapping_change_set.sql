-- Verify company_enrichment:type_mapping_change_set on pg

BEGIN;

SELECT (NULL::enterprise.mapping_change_set).id, (NULL::enterprise.mapping_change_set).kind,
       (NULL::enterprise.mapping_change_set).label, (NULL::enterprise.mapping_change_set).reverts,
       (NULL::enterprise.mapping_change_set).session_user_name,
       (NULL::enterprise.mapping_change_set).application_name,
       (NULL::enterprise.mapping_change_set).changed_by, (NULL::enterprise.mapping_change_set).created_at,
       (NULL::enterprise.mapping_change_set).inserted, (NULL::enterprise.mapping_change_set).updated,
       (NULL::enterprise.mapping_change_set).deleted;

ROLLBACK;
