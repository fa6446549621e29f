-- Deploy company_enrichment:data_hardcode_overrides to pg
-- requires: table_company_mapping

BEGIN;

-- The plan-code overrides the old system kept in its source code, now curated
-- rows of kind hardcode (priority 3). Existing rows for these codes are left
-- as they are.
INSERT INTO enterprise.company_mapping (alias_name, canonical_id, source, match_type, priority)
VALUES ('FP0001', '614810477', 'internal', 'hardcode', 3),
       ('FP0002', '614810477', 'internal', 'hardcode', 3),
       ('FP0003', '610081428', 'internal', 'hardcode', 3),
       ('P0809',  '608349737', 'internal', 'hardcode', 3),
       ('SC002',  '604809109', 'internal', 'hardcode', 3),
       ('SC007',  '602790403', 'internal', 'hardcode', 3),
       ('XNP466', '603968573', 'internal', 'hardcode', 3),
       ('XNP467', '603968573', 'internal', 'hardcode', 3),
       ('XNP596', '601038164', 'internal', 'hardcode', 3)
ON CONFLICT ON CONSTRAINT company_mapping_pkey DO NOTHING;

COMMIT;
