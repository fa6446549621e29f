-- Deploy company_enrichment:table_company_mapping to pg
-- requires: function_mapping_key

BEGIN;

CREATE TABLE enterprise.company_mapping (
    alias_name   varchar(255) NOT NULL,
    canonical_id varchar(50)  NOT NULL,
    source       varchar(20)  NOT NULL DEFAULT 'internal',
    match_type   varchar(20)  NOT NULL,
    priority     integer      NOT NULL,
    updated_at   timestamptz  NOT NULL DEFAULT pg_catalog.now(),
    -- What resolution compares against: the normalized name for name kinds,
    -- the trimmed code for code kinds. Stored, so lookups are index probes.
    lookup_key   text GENERATED ALWAYS AS (enterprise._mapping_key(alias_name, match_type)) STORED,
    CONSTRAINT company_mapping_pkey PRIMARY KEY (alias_name, match_type),
    CONSTRAINT company_mapping_match_type_check
        CHECK (match_type IN ('plan', 'account', 'hardcode', 'name', 'account_name')),
    CONSTRAINT company_mapping_priority_check
        CHECK (priority = CASE match_type
                              WHEN 'plan' THEN 1
                              WHEN 'account' THEN 2
                              WHEN 'hardcode' THEN 3
                              WHEN 'name' THEN 4
                              WHEN 'account_name' THEN 5
                          END),
    CONSTRAINT company_mapping_source_check CHECK (pg_catalog.btrim(source) <> ''),
    -- Only curated rows map codes; what EQC teaches is always a customer name.
    CONSTRAINT company_mapping_learned_is_name_check
        CHECK (source = 'internal' OR match_type = 'name'),
    CONSTRAINT company_mapping_canonical_id_check CHECK (pg_catalog.btrim(canonical_id) <> ''),
    CONSTRAINT company_mapping_lookup_key_check CHECK (lookup_key <> '')
);

-- Resolution probes (match_type, lookup_key, source); the trailing columns
-- make the tie-break order (newest first) an index order.
CREATE INDEX company_mapping_lookup_idx
    ON enterprise.company_mapping (match_type, lookup_key, source, updated_at DESC, alias_name)
    INCLUDE (canonical_id);

-- At most one learned (non-curated) row per normalized name: the UPSERT key
-- of cache_company_mapping.
CREATE UNIQUE INDEX company_mapping_learned_key
    ON enterprise.company_mapping (lookup_key)
    WHERE match_type = 'name' AND source <> 'internal';

COMMENT ON TABLE enterprise.company_mapping IS
    'Alias -> company_id mappings: curated (source internal, five kinds) and learned '
    '(source EQC, names only). Write through upsert_internal_mappings and cache_company_mapping.';
COMMENT ON COLUMN enterprise.company_mapping.alias_name IS
    'Plan code, account number or name as given (trimmed).';
COMMENT ON COLUMN enterprise.company_mapping.canonical_id IS 'The unified company_id.';
COMMENT ON COLUMN enterprise.company_mapping.source IS
    '''internal'' for curated rows; ''EQC'' (or another external source) for learned rows.';
COMMENT ON COLUMN enterprise.company_mapping.match_type IS
    'plan, account, hardcode, name or account_name.';
COMMENT ON COLUMN enterprise.company_mapping.priority IS
    '1..5, fixed by match_type (plan 1, account 2, hardcode 3, name 4, account_name 5).';
COMMENT ON COLUMN enterprise.company_mapping.lookup_key IS
    'normalize_name(alias_name) for name kinds, btrim(alias_name) for code kinds.';

-- Nobody but the owner touches the table: callers use the functions.
REVOKE ALL ON enterprise.company_mapping FROM PUBLIC;

COMMIT;
