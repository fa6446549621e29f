-- Deploy company_enrichment:table_company_mapping_confidence to pg
-- requires: table_company_mapping

BEGIN;

-- How sure each mapping is. Curated rows: 1.00. Learned rows: the score of
-- the EQC answer that taught them (1.00 when a person chose the company), and
-- EQC's match type; NULL means unknown: learned before answers were scored
-- (v0.1), or cached by a caller that chose the company itself.
ALTER TABLE enterprise.company_mapping
    ADD COLUMN confidence numeric(3,2),
    ADD COLUMN eqc_type   text,
    ADD CONSTRAINT company_mapping_confidence_check CHECK (confidence BETWEEN 0 AND 1),
    ADD CONSTRAINT company_mapping_eqc_type_check CHECK (pg_catalog.length(eqc_type) <= 50);

UPDATE enterprise.company_mapping AS m SET confidence = 1.00 WHERE m.source = 'internal';

COMMENT ON COLUMN enterprise.company_mapping.confidence IS
    '1.00 for curated rows; for learned rows the EQC answer''s score (NULL: learned before scoring, or unscored).';
COMMENT ON COLUMN enterprise.company_mapping.eqc_type IS
    'How EQC matched a learned name (its candidate''s type: 全称精确匹配, 模糊匹配, 拼音 ...), when it said.';

COMMIT;
