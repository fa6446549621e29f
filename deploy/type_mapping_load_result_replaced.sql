-- Deploy company_enrichment:type_mapping_load_result_replaced to pg
-- requires: type_mapping_load_result

BEGIN;

-- How many curated rows a load replaced (upsert_internal_mappings with
-- replace_conflicting): rows of the same kind and lookup key, under another
-- alias, that mapped to another company.
ALTER TYPE enterprise.mapping_load_result ADD ATTRIBUTE replaced bigint;

COMMENT ON TYPE enterprise.mapping_load_result IS
    'Counts returned by upsert_internal_mappings: inserted, updated, unchanged, replaced.';

COMMIT;
