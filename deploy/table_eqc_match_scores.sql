-- Deploy company_enrichment:table_eqc_match_scores to pg
-- requires: schema_enterprise

BEGIN;

-- How much an EQC candidate is trusted when its full name does not normalize
-- to the name that was searched: by EQC's own word for how it matched (the
-- candidate's "type"). The row '*' scores a candidate without a type, or with
-- a type not listed here. An admin lists and changes the scores with
-- configure_eqc_match_score; a candidate whose normalized full name equals
-- the request's always scores 1.00.
CREATE TABLE enterprise.eqc_match_scores (
    eqc_type   text         NOT NULL,
    confidence numeric(3,2) NOT NULL,
    updated_at timestamptz  NOT NULL DEFAULT pg_catalog.now(),
    CONSTRAINT eqc_match_scores_pkey PRIMARY KEY (eqc_type),
    CONSTRAINT eqc_match_scores_eqc_type_check CHECK (pg_catalog.btrim(eqc_type) = eqc_type AND eqc_type <> ''
                                                      AND pg_catalog.length(eqc_type) <= 50),
    CONSTRAINT eqc_match_scores_confidence_check CHECK (confidence BETWEEN 0 AND 1)
);

INSERT INTO enterprise.eqc_match_scores (eqc_type, confidence)
VALUES ('全称精确匹配', 1.00), ('模糊匹配', 0.80), ('拼音', 0.60), ('*', 0.70);

COMMENT ON TABLE enterprise.eqc_match_scores IS
    'Confidence of an EQC candidate by its match type (''*'': no type, or one not listed). '
    'Change it with configure_eqc_match_score().';

REVOKE ALL ON enterprise.eqc_match_scores FROM PUBLIC;

COMMIT;
