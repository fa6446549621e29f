-- Deploy company_enrichment:type_mapping_change_set to pg
-- requires: schema_enterprise

BEGIN;

CREATE TYPE enterprise.mapping_change_set AS (
    id                bigint,
    kind              text,
    label             text,
    reverts           bigint,
    session_user_name text,
    application_name  text,
    changed_by        text,
    created_at        timestamptz,
    inserted          bigint,
    updated           bigint,
    deleted           bigint
);

COMMENT ON TYPE enterprise.mapping_change_set IS
    'A change set of company_mapping with its counts: returned by mapping_change_sets and revert_mapping_change_set.';

COMMIT;
