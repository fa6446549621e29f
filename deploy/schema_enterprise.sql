-- Deploy company_enrichment:schema_enterprise to pg
-- requires: roles

BEGIN;

CREATE SCHEMA enterprise;

COMMENT ON SCHEMA enterprise IS
    'company-enrichment: resolves pipeline records to a unified company_id. '
    'Call the functions; tables are private to the owner.';

-- Callers need to see the schema to call its functions; they get no table rights.
REVOKE ALL ON SCHEMA enterprise FROM PUBLIC;
GRANT USAGE ON SCHEMA enterprise TO enrichment_reader, enrichment_worker, enrichment_admin;

COMMIT;
