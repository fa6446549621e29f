-- Revert company_enrichment:trigger_company_mapping_history from pg

BEGIN;

DROP TRIGGER company_mapping_history_truncate ON enterprise.company_mapping;
DROP TRIGGER company_mapping_history_delete ON enterprise.company_mapping;
DROP TRIGGER company_mapping_history_update ON enterprise.company_mapping;
DROP TRIGGER company_mapping_history_insert ON enterprise.company_mapping;

COMMIT;
