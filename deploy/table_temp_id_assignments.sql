-- Deploy company_enrichment:table_temp_id_assignments to pg
-- requires: sequence_temp_id
-- requires: function_format_temp_id

BEGIN;

-- Which key got which TEMP id, so that resolving the same record again gives
-- the same id and a pipeline re-run mints nothing new.
CREATE TABLE enterprise.temp_id_assignments (
    temp_key   text        NOT NULL,
    temp_id    text        NOT NULL
        DEFAULT enterprise._format_temp_id(pg_catalog.nextval('enterprise.temp_id_seq')),
    created_at timestamptz NOT NULL DEFAULT pg_catalog.now(),
    CONSTRAINT temp_id_assignments_pkey PRIMARY KEY (temp_key),
    CONSTRAINT temp_id_assignments_temp_id_key UNIQUE (temp_id),
    CONSTRAINT temp_id_assignments_temp_key_check CHECK (temp_key <> ''),
    CONSTRAINT temp_id_assignments_temp_id_check CHECK (temp_id ~ '^TEMP_[0-9]{6,}$')
);

COMMENT ON TABLE enterprise.temp_id_assignments IS
    'Remembers the TEMP id given to each key (a record without a customer name, or a '
    'name EQC does not know), so re-resolving gives the same id.';
COMMENT ON COLUMN enterprise.temp_id_assignments.temp_key IS
    'record<US>plan<US>account<US>account name for records without a customer name '
    '(<US> is U+001F); name<US>normalized name for names EQC does not know.';

REVOKE ALL ON enterprise.temp_id_assignments FROM PUBLIC;

COMMIT;
