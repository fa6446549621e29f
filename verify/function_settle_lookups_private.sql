-- Verify company_enrichment:function_settle_lookups_private on pg

BEGIN;

SELECT 'enterprise._settle_lookups(text, bigint[], jsonb[], text, integer, interval, integer)'::pg_catalog.regprocedure;

-- the reworked body: learned names written by the settle's own statement, not
-- through _cache_learned_mappings; held requests locked through the key
-- alone and matched to their answers by position; the scored candidates held
-- as columns; settled and reviewed requests written by one update
SELECT 1 / (pg_catalog.strpos(p.prosrc, 'firsts AS MATERIALIZED') > 0
            AND pg_catalog.strpos(p.prosrc, 'candidate AS MATERIALIZED') > 0
            AND pg_catalog.strpos(p.prosrc, 'reviewed AS (') = 0
            AND pg_catalog.strpos(p.prosrc, 'jsonb_build_object(''company_id'', s.company_id') = 0
            AND pg_catalog.strpos(p.prosrc, '_cache_learned_mappings(') = 0
            AND pg_catalog.strpos(p.prosrc, 'array_position(_settle_lookups.request_ids, q.id)') > 0
            AND pg_catalog.strpos(p.prosrc, 'CASE WHEN q.status = ''processing'' THEN q.lease_owner END') > 0)::int
  FROM pg_catalog.pg_proc AS p
 WHERE p.oid = 'enterprise._settle_lookups(text, bigint[], jsonb[], text, integer, interval, integer)'::pg_catalog.regprocedure;

ROLLBACK;
