-- Deploy company_enrichment:table_company_mapping_change_sets to pg
-- requires: schema_enterprise

BEGIN;

-- A change set groups the mapping changes that belong together, so they can
-- be listed and undone as one: one call of upsert_internal_mappings (kind
-- import), one call of revert_mapping_change_set (kind revert), and otherwise
-- one transaction (kind sql: a settle batch of the worker, a DBA's manual SQL).
-- Rows are written by the history trigger and the functions only; the counts
-- are kept up to date by the trigger, one UPDATE per statement.
CREATE TABLE enterprise.company_mapping_change_sets (
    id                bigint GENERATED ALWAYS AS IDENTITY,
    kind              text        NOT NULL,
    label             text,
    reverts           bigint,
    txid              xid8        NOT NULL DEFAULT pg_catalog.pg_current_xact_id(),
    session_user_name text        NOT NULL DEFAULT SESSION_USER,
    application_name  text,
    changed_by        text,
    created_at        timestamptz NOT NULL DEFAULT pg_catalog.clock_timestamp(),
    inserted          bigint      NOT NULL DEFAULT 0,
    updated           bigint      NOT NULL DEFAULT 0,
    deleted           bigint      NOT NULL DEFAULT 0,
    CONSTRAINT company_mapping_change_sets_pkey PRIMARY KEY (id),
    CONSTRAINT company_mapping_change_sets_kind_check CHECK (kind IN ('import', 'revert', 'sql')),
    CONSTRAINT company_mapping_change_sets_reverts_check CHECK ((kind = 'revert') = (reverts IS NOT NULL)),
    CONSTRAINT company_mapping_change_sets_reverts_fkey FOREIGN KEY (reverts)
        REFERENCES enterprise.company_mapping_change_sets (id),
    CONSTRAINT company_mapping_change_sets_label_check CHECK (pg_catalog.length(label) <= 500)
);

COMMENT ON TABLE enterprise.company_mapping_change_sets IS
    'Change sets of company_mapping: one import (upsert_internal_mappings), one revert, or one transaction of '
    'other writes (the worker''s settle batch, manual SQL). Read with mapping_change_sets().';
COMMENT ON COLUMN enterprise.company_mapping_change_sets.kind IS
    'import (upsert_internal_mappings), revert (revert_mapping_change_set) or sql (any other write, per transaction).';
COMMENT ON COLUMN enterprise.company_mapping_change_sets.label IS
    'The label of an import (the CLI: the file name), of a revert, or enrichment.change_set_label for other writes.';
COMMENT ON COLUMN enterprise.company_mapping_change_sets.reverts IS 'The change set a revert undid.';
COMMENT ON COLUMN enterprise.company_mapping_change_sets.txid IS 'The transaction that wrote it.';
COMMENT ON COLUMN enterprise.company_mapping_change_sets.changed_by IS
    'The enrichment.changed_by setting of the session (the client sets WDH_CHANGED_BY, or the OS user).';

-- Nobody but the owner touches the table: read through mapping_change_sets().
REVOKE ALL ON enterprise.company_mapping_change_sets FROM PUBLIC;

COMMIT;
