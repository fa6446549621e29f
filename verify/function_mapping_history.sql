-- Verify company_enrichment:function_mapping_history on pg

BEGIN;

SELECT 1 / pg_catalog.has_function_privilege('enrichment_reader', 'enterprise.mapping_history(text, text)',
                                              'EXECUTE')::int;
SELECT 1 / (NOT pg_catalog.has_function_privilege('public', 'enterprise.mapping_history(text, text)',
                                                   'EXECUTE'))::int;

-- a manual insert and update of one alias, oldest first
INSERT INTO enterprise.company_mapping (alias_name, canonical_id, source, match_type, priority)
VALUES ('VERIFY_HISTORY', '000000001', 'internal', 'plan', 1);
UPDATE enterprise.company_mapping SET canonical_id = '000000002' WHERE alias_name = 'VERIFY_HISTORY';
SELECT 1 / (pg_catalog.array_agg(h.operation || ':' || h.canonical_id_after) = ARRAY['insert:000000001', 'update:000000002'])::int
  FROM enterprise.mapping_history(' VERIFY_HISTORY ', 'plan') AS h;

ROLLBACK;
