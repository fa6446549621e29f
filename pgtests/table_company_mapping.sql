-- company_mapping: columns, keys, constraints.
BEGIN;
SELECT plan(16);

SELECT has_table('enterprise', 'company_mapping', 'enterprise.company_mapping exists');
SELECT columns_are('enterprise', 'company_mapping',
    ARRAY['alias_name', 'canonical_id', 'source', 'match_type', 'priority', 'updated_at', 'lookup_key', 'confidence', 'eqc_type'],
    'it has the old columns plus lookup_key, confidence and eqc_type');
SELECT col_type_is('enterprise', 'company_mapping', 'alias_name', 'character varying(255)', 'alias_name is varchar(255)');
SELECT col_type_is('enterprise', 'company_mapping', 'canonical_id', 'character varying(50)', 'canonical_id is varchar(50)');
SELECT col_default_is('enterprise', 'company_mapping', 'source', 'internal'::character varying, 'source defaults to internal');
SELECT col_is_pk('enterprise', 'company_mapping', ARRAY['alias_name', 'match_type'], 'primary key (alias_name, match_type)');
SELECT has_index('enterprise', 'company_mapping', 'company_mapping_learned_key', 'one learned row per normalized name');

INSERT INTO enterprise.company_mapping (alias_name, canonical_id, match_type, priority)
VALUES ('  （已转出）表测试公司 ', '600000001', 'name', 4), (' TBL-PLAN ', '600000002', 'plan', 1);
SELECT results_eq($$SELECT lookup_key FROM enterprise.company_mapping
                     WHERE alias_name IN ('  （已转出）表测试公司 ', ' TBL-PLAN ') ORDER BY canonical_id$$,
    $$VALUES ('表测试公司'), ('TBL-PLAN')$$, 'lookup_key is normalize_name for names, the trimmed code for codes');

SELECT throws_ok($$INSERT INTO enterprise.company_mapping (alias_name, canonical_id, match_type, priority) VALUES ('X', '1', 'nickname', 4)$$,
    '23514', NULL, 'an unknown match_type is refused');
SELECT throws_ok($$INSERT INTO enterprise.company_mapping (alias_name, canonical_id, match_type, priority) VALUES ('X', '1', 'plan', 4)$$,
    '23514', NULL, 'a priority that does not match the kind is refused');
SELECT throws_ok($$INSERT INTO enterprise.company_mapping (alias_name, canonical_id, source, match_type, priority) VALUES ('X', '1', 'EQC', 'plan', 1)$$,
    '23514', NULL, 'a learned row must be a name');
SELECT throws_ok($$INSERT INTO enterprise.company_mapping (alias_name, canonical_id, match_type, priority) VALUES ('N/A', '1', 'name', 4)$$,
    '23514', NULL, 'a name whose key is empty is refused');
SELECT throws_ok($$INSERT INTO enterprise.company_mapping (alias_name, canonical_id, match_type, priority) VALUES ('X', ' ', 'plan', 1)$$,
    '23514', NULL, 'a blank canonical_id is refused');
SELECT throws_ok($$INSERT INTO enterprise.company_mapping (alias_name, canonical_id, source, match_type, priority)
                   VALUES ('表测试公司', '1', 'EQC', 'name', 4), ('表测试公司-注销', '2', 'EQC', 'name', 4)$$,
    '23505', NULL, 'two learned rows with one normalized name are refused');
SELECT has_table('enterprise', 'temp_id_assignments', 'enterprise.temp_id_assignments exists');
SELECT has_sequence('enterprise', 'temp_id_seq', 'enterprise.temp_id_seq exists');

SELECT * FROM finish();
ROLLBACK;
