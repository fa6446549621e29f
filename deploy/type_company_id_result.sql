-- Deploy company_enrichment:type_company_id_result to pg
-- requires: schema_enterprise

BEGIN;

CREATE TYPE enterprise.company_id_result AS (
    company_id text,
    status     text,
    source     text,
    match_type text,
    temp_id    text,
    request_id bigint
);

COMMENT ON TYPE enterprise.company_id_result IS
    'Result of resolve_company_id. status: success_internal | success_external | '
    'pending_lookup | temp_assigned. source: the mapping kind (plan, account, hardcode, '
    'name, account_name) for curated hits, EQC for learned names, queued, or generated.';

-- The result of one probe into company_mapping (private).
CREATE TYPE enterprise._mapping_hit AS (
    canonical_id text,
    source       text,
    match_type   text
);

COMMIT;
