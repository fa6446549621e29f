-- Verify company_enrichment:function_settle_lookups on pg

BEGIN;

SELECT 1 / (NOT EXISTS (SELECT FROM enterprise.settle_lookups('verify', ARRAY[-1]::bigint[], ARRAY['[]'::jsonb])))::int;
SELECT 1 / pg_catalog.has_function_privilege('enrichment_worker',
    'enterprise.settle_lookups(text, bigint[], jsonb[], integer, interval, integer)', 'EXECUTE')::int;

-- the reworked body (after v0.3.0): the transaction commits with the queue's settle_synchronous_commit
SET LOCAL synchronous_commit = on;
SELECT 1 / (NOT EXISTS (SELECT FROM enterprise.settle_lookups('verify', ARRAY[-1]::bigint[], ARRAY['[]'::jsonb])))::int;
SELECT 1 / (pg_catalog.current_setting('synchronous_commit')
            = (SELECT s.settle_synchronous_commit FROM enterprise.queue_settings AS s WHERE s.singleton))::int;

ROLLBACK;
