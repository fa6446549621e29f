-- Verify company_enrichment:trigger_company_mapping_history on pg

BEGIN;

SELECT 1 / (pg_catalog.count(*) = 4)::int
  FROM pg_catalog.pg_trigger AS t
 WHERE t.tgrelid = 'enterprise.company_mapping'::regclass
   AND t.tgfoid = 'enterprise._record_mapping_history()'::regprocedure
   AND t.tgenabled = 'O';

-- a manual write is recorded, under a change set of its transaction
INSERT INTO enterprise.company_mapping (alias_name, canonical_id, source, match_type, priority)
VALUES ('VERIFY_HISTORY_PLAN', '000000001', 'internal', 'plan', 1);
UPDATE enterprise.company_mapping SET canonical_id = '000000002' WHERE alias_name = 'VERIFY_HISTORY_PLAN';
DELETE FROM enterprise.company_mapping WHERE alias_name = 'VERIFY_HISTORY_PLAN';
SELECT 1 / (pg_catalog.array_agg(h.operation ORDER BY h.id) = ARRAY['insert', 'update', 'delete']
            AND pg_catalog.count(DISTINCT h.change_set) = 1)::int
  FROM enterprise.company_mapping_history AS h
 WHERE h.alias_name = 'VERIFY_HISTORY_PLAN';

ROLLBACK;
