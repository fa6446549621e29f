-- Deploy company_enrichment:table_eqc_rate_limit to pg
-- requires: schema_enterprise

BEGIN;

-- EQC allows a few requests a minute per token, whatever number of workers
-- and processes use it. The limiter is this table: one row per bucket with
-- the earliest moment the next request may be sent.
CREATE TABLE enterprise.eqc_rate_limit (
    bucket          text        NOT NULL,
    next_allowed_at timestamptz NOT NULL DEFAULT '-infinity',
    CONSTRAINT eqc_rate_limit_pkey PRIMARY KEY (bucket),
    CONSTRAINT eqc_rate_limit_bucket_check CHECK (bucket <> '')
);

COMMENT ON TABLE enterprise.eqc_rate_limit IS
    'Shared EQC rate limiter: per bucket, when the next request may go out. Use acquire_eqc_permit().';

REVOKE ALL ON enterprise.eqc_rate_limit FROM PUBLIC;

COMMIT;
