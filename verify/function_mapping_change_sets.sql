-- Verify company_enrichment:function_mapping_change_sets on pg

BEGIN;

SELECT 1 / pg_catalog.has_function_privilege('enrichment_reader', 'enterprise.mapping_change_sets(integer)',
                                              'EXECUTE')::int;
SELECT 1 / (NOT pg_catalog.has_function_privilege('public', 'enterprise.mapping_change_sets(integer)',
                                                   'EXECUTE'))::int;

-- one transaction of manual SQL is one change set, counted
INSERT INTO enterprise.company_mapping (alias_name, canonical_id, source, match_type, priority)
VALUES ('VERIFY_CS1', '000000001', 'internal', 'plan', 1), ('VERIFY_CS2', '000000001', 'internal', 'plan', 1);
DELETE FROM enterprise.company_mapping WHERE alias_name = 'VERIFY_CS2';
SELECT 1 / (s.kind = 'sql' AND s.inserted = 2 AND s.updated = 0 AND s.deleted = 1)::int
  FROM enterprise.mapping_change_sets(1) AS s;

ROLLBACK;
