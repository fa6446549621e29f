-- Deploy company_enrichment:type_mapping_load_result to pg
-- requires: schema_enterprise

BEGIN;

CREATE TYPE enterprise.mapping_load_result AS (
    inserted  bigint,
    updated   bigint,
    unchanged bigint
);

COMMENT ON TYPE enterprise.mapping_load_result IS
    'Counts returned by upsert_internal_mappings.';

COMMIT;
