-- Deploy company_enrichment:table_company_mapping_history to pg
-- requires: table_company_mapping_change_sets
-- requires: table_company_mapping_confidence

BEGIN;

-- Every insert, update and delete of company_mapping, whatever path made it:
-- written by the trigger company_mapping_history_* (SECURITY DEFINER), never
-- by anyone directly. An entry holds the row's values before (NULL for an
-- insert) and after (NULL for a delete), who and when, and its change set.
-- An UPDATE that changes a row's alias or kind is recorded as the delete of
-- the old row and the insert of the new one.
--
-- change_set has no foreign key on purpose: the trigger is the only writer
-- and always writes an existing change set, and a row-level RI check per
-- entry would about double the cost of a 100,000-row load.
CREATE TABLE enterprise.company_mapping_history (
    id                  bigint GENERATED ALWAYS AS IDENTITY,
    change_set          bigint       NOT NULL,
    operation           text         NOT NULL,
    alias_name          varchar(255) NOT NULL,
    match_type          varchar(20)  NOT NULL,
    canonical_id_before varchar(50),
    canonical_id_after  varchar(50),
    source_before       varchar(20),
    source_after        varchar(20),
    confidence_before   numeric(3,2),
    confidence_after    numeric(3,2),
    eqc_type_before     text,
    eqc_type_after      text,
    updated_at_before   timestamptz,
    updated_at_after    timestamptz,
    changed_at          timestamptz  NOT NULL,
    session_user_name   text         NOT NULL,
    application_name    text,
    changed_by          text,
    CONSTRAINT company_mapping_history_pkey PRIMARY KEY (id),
    CONSTRAINT company_mapping_history_operation_check CHECK (operation IN ('insert', 'update', 'delete')),
    CONSTRAINT company_mapping_history_before_check
        CHECK ((operation = 'insert') = (canonical_id_before IS NULL)),
    CONSTRAINT company_mapping_history_after_check
        CHECK ((operation = 'delete') = (canonical_id_after IS NULL))
);

-- A change set's entries (revert, counts), and an alias's history (oldest
-- first; also the "touched later?" check of a revert).
CREATE INDEX company_mapping_history_change_set_idx
    ON enterprise.company_mapping_history (change_set);
CREATE INDEX company_mapping_history_alias_idx
    ON enterprise.company_mapping_history (alias_name, match_type, id);

COMMENT ON TABLE enterprise.company_mapping_history IS
    'Every insert, update and delete of company_mapping (values before and after, who, when, change set). '
    'Written by a trigger only; read with mapping_history() and mapping_change_sets().';
COMMENT ON COLUMN enterprise.company_mapping_history.operation IS
    'insert, update or delete (an update of alias_name or match_type is recorded as delete + insert).';
COMMENT ON COLUMN enterprise.company_mapping_history.session_user_name IS 'SESSION_USER of the change.';
COMMENT ON COLUMN enterprise.company_mapping_history.application_name IS 'application_name of the session.';
COMMENT ON COLUMN enterprise.company_mapping_history.changed_by IS
    'The session''s enrichment.changed_by setting: the person behind a shared login (the client: WDH_CHANGED_BY).';

-- Nobody but the owner touches the table: read through mapping_history().
REVOKE ALL ON enterprise.company_mapping_history FROM PUBLIC;

COMMIT;
