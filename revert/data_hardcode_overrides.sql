-- Revert company_enrichment:data_hardcode_overrides from pg

BEGIN;

DELETE FROM enterprise.company_mapping AS m
 USING (VALUES ('FP0001', '614810477'), ('FP0002', '614810477'), ('FP0003', '610081428'),
               ('P0809', '608349737'), ('SC002', '604809109'), ('SC007', '602790403'),
               ('XNP466', '603968573'), ('XNP467', '603968573'), ('XNP596', '601038164')) AS o(alias, id)
 WHERE m.alias_name = o.alias AND m.canonical_id = o.id
   AND m.match_type = 'hardcode' AND m.source = 'internal';

COMMIT;
