-- Deploy company_enrichment:table_eqc_companies to pg
-- requires: schema_enterprise

BEGIN;

-- What EQC said about each company it ever returned as a candidate: its
-- official full name, its unified social credit code (unite_code) and the raw
-- JSON of the latest answer, with the search key that found it. Filled by the
-- worker's answers (settle_lookups) at no extra EQC request; pipelines read
-- it through company_profiles().
CREATE TABLE enterprise.eqc_companies (
    company_id      varchar(50) NOT NULL,
    full_name       text        NOT NULL,
    unite_code      varchar(50),
    raw             jsonb       NOT NULL,
    last_search_key text,
    first_seen_at   timestamptz NOT NULL DEFAULT pg_catalog.now(),
    last_seen_at    timestamptz NOT NULL DEFAULT pg_catalog.now(),
    CONSTRAINT eqc_companies_pkey PRIMARY KEY (company_id),
    CONSTRAINT eqc_companies_company_id_check CHECK (pg_catalog.btrim(company_id) = company_id AND company_id <> ''),
    CONSTRAINT eqc_companies_raw_check CHECK (pg_catalog.jsonb_typeof(raw) = 'object')
);

COMMENT ON TABLE enterprise.eqc_companies IS
    'Companies EQC returned as candidates: official name, unite_code, the raw JSON of the latest answer. '
    'Read it with company_profiles().';
COMMENT ON COLUMN enterprise.eqc_companies.unite_code IS 'Unified social credit code (统一社会信用代码), when EQC gave one.';
COMMENT ON COLUMN enterprise.eqc_companies.raw IS 'The candidate object exactly as EQC returned it, the latest time.';
COMMENT ON COLUMN enterprise.eqc_companies.last_search_key IS 'The normalized name whose search returned it the latest time.';

REVOKE ALL ON enterprise.eqc_companies FROM PUBLIC;

COMMIT;
