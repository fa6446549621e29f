-- Deploy company_enrichment:trigger_company_mapping_history to pg
-- requires: function_record_mapping_history
-- requires: table_company_mapping

BEGIN;

-- Statement-level, with transition tables: a load of 100,000 rows is
-- recorded by one set-based INSERT, not 100,000 trigger calls. (A trigger
-- with transition tables may name one event only, hence one per event.)
CREATE TRIGGER company_mapping_history_insert
    AFTER INSERT ON enterprise.company_mapping
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION enterprise._record_mapping_history();

CREATE TRIGGER company_mapping_history_update
    AFTER UPDATE ON enterprise.company_mapping
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION enterprise._record_mapping_history();

CREATE TRIGGER company_mapping_history_delete
    AFTER DELETE ON enterprise.company_mapping
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION enterprise._record_mapping_history();

CREATE TRIGGER company_mapping_history_truncate
    BEFORE TRUNCATE ON enterprise.company_mapping
    FOR EACH STATEMENT EXECUTE FUNCTION enterprise._record_mapping_history();

COMMIT;
