-- Deploy company_enrichment:function_resolve_company_ids to pg
-- requires: function_lookup_company_ids
-- requires: function_check_record_arrays
-- requires: function_temp_id_for_key
-- requires: function_format_temp_id
-- requires: sequence_temp_id
-- requires: function_enqueue_lookup

BEGIN;

-- Set-based resolution for pipelines. Each argument is one column of the
-- batch: element i of every array belongs to record i (1-based ordinal).
-- Pass NULL for a column the batch does not have. One statement, no loop:
--   1. probe the mappings for every record (_lookup_company_ids);
--   2. for unresolved customer names (once per normalized name): a TEMP id
--      keyed on the name when EQC recently found nothing (negative cache),
--      else the live request for it, created (enqueue, NOTIFY) if missing;
--      a failed request is revived after queue_settings.failed_retry_after;
--   3. mint TEMP ids for the distinct keys seen for the first time (one id
--      per key, however often it repeats);
--   4. return one row per record, in input order.
CREATE OR REPLACE FUNCTION enterprise.resolve_company_ids(
    plan_codes      text[] DEFAULT NULL,
    customer_names  text[] DEFAULT NULL,
    account_names   text[] DEFAULT NULL,
    account_numbers text[] DEFAULT NULL)
RETURNS TABLE (
    ordinal    bigint,
    company_id text,
    status     text,
    source     text,
    match_type text,
    temp_id    text,
    request_id bigint)
LANGUAGE plpgsql
VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
-- Every table access here is a key lookup: never a sequential scan, even while
-- the statistics still describe a table as nearly empty (a queue drained
-- right after it was filled would otherwise scan a growing table per call).
SET enable_seqscan = off
-- Array arguments make the planner prefer a fresh custom plan on every call,
-- which costs more than running these queries: plan once per session.
SET plan_cache_mode = force_generic_plan
-- A generic plan cannot know the batch size, so it would take the CTEs for
-- small and join them in nested loops, quadratic on a big batch. Without
-- nested loops they are hash joins, right for any size; every probe of a
-- table is written as a correlated subquery or "= ANY", so it stays an
-- index lookup.
SET enable_nestloop = off
-- An OLTP-sized query that JIT would spend longer compiling than running;
-- and enough memory to hash and sort a large batch in memory.
SET jit = off
SET work_mem = '64MB'
AS $$
#variable_conflict use_column
DECLARE
    _retry interval;
BEGIN
    IF enterprise._check_record_arrays('resolve_company_ids', plan_codes, customer_names, account_names, account_numbers) = 0 THEN
        RETURN;
    END IF;
    SELECT s.failed_retry_after INTO _retry FROM enterprise.queue_settings AS s;

    RETURN QUERY
    WITH r AS MATERIALIZED (
        SELECT * FROM enterprise._lookup_company_ids(plan_codes, customer_names, account_names, account_numbers)
    ),
    -- Unresolved customer names, once each, spelled as first seen, with
    -- what the queue knows of them.
    settled AS (
        SELECT r.name_key,
               (pg_catalog.array_agg(r.customer_name ORDER BY r.ordinal))[1] AS name,
               pg_catalog.bool_or(r.temp_by_name) AS temp_by_name,
               pg_catalog.max(r.live_id) AS live_id, pg_catalog.max(r.failed_id) AS failed_id
          FROM r
         WHERE r.company_id IS NULL AND r.name_key IS NOT NULL
         GROUP BY r.name_key
    ),
    -- A failed request is retried when its name comes back after failed_retry_after.
    revived AS (
        UPDATE enterprise.lookup_requests AS q
           SET status = 'pending', attempts = 0, next_attempt_at = pg_catalog.now(), updated_at = pg_catalog.now()
         WHERE q.id = ANY (ARRAY(SELECT s.failed_id FROM settled AS s
                                  WHERE s.failed_id IS NOT NULL AND NOT s.temp_by_name AND s.live_id IS NULL))
           AND q.status = 'failed'
           AND _retry IS NOT NULL AND q.last_failed_at <= pg_catalog.now() - _retry
        RETURNING q.id
    ),
    created AS (
        INSERT INTO enterprise.lookup_requests AS q (name, normalized_name)
        SELECT pg_catalog.left(s.name, 255), s.name_key
          FROM settled AS s
         WHERE NOT s.temp_by_name AND s.live_id IS NULL AND s.failed_id IS NULL
         -- key order: concurrent batches queueing overlapping names wait on
         -- each other in one order and never deadlock
         ORDER BY s.name_key
        ON CONFLICT (normalized_name) WHERE status IN ('pending', 'processing') DO NOTHING
        RETURNING q.id, q.normalized_name
    ),
    requests AS (
        SELECT s.name_key, s.temp_by_name,
               CASE WHEN NOT s.temp_by_name
                    -- queued now, queued before, or queued by a concurrent
                    -- session during this statement (enqueue_lookup finds it)
                    THEN COALESCE(c.id, s.live_id, s.failed_id, (enterprise.enqueue_lookup(s.name)).id)
               END AS request_id
          FROM settled AS s
          LEFT JOIN created AS c ON c.normalized_name = s.name_key
    ),
    wanted AS (
        SELECT DISTINCT r.temp_key
          FROM r
         WHERE r.temp_key IS NOT NULL
    ),
    minted AS (
        INSERT INTO enterprise.temp_id_assignments AS t (temp_key)
        SELECT w.temp_key
          FROM wanted AS w
         -- skip keys known already (they would spend a sequence value for nothing)
         WHERE (SELECT x.temp_id FROM enterprise.temp_id_assignments AS x WHERE x.temp_key = w.temp_key) IS NULL
         -- key order, for the same reason
         ORDER BY w.temp_key
        ON CONFLICT ON CONSTRAINT temp_id_assignments_pkey DO NOTHING
        RETURNING t.temp_key, t.temp_id
    )
    SELECT s.ordinal,
           COALESCE(s.company_id, s.temp_id),
           CASE WHEN s.company_id IS NOT NULL AND s.source = 'internal' THEN 'success_internal'
                WHEN s.company_id IS NOT NULL THEN 'success_external'
                WHEN s.request_id IS NOT NULL THEN 'pending_lookup'
                ELSE 'temp_assigned'
           END,
           CASE WHEN s.company_id IS NOT NULL AND s.source = 'internal' THEN s.match_type
                WHEN s.company_id IS NOT NULL THEN s.source
                WHEN s.request_id IS NOT NULL THEN 'queued'
                ELSE 'generated'
           END,
           s.match_type,
           s.temp_id,
           s.request_id
      FROM (
        -- Every record once; the TEMP id (a volatile expression) is computed
        -- once per record here and not flattened into the outer references.
        SELECT r.ordinal, r.company_id, r.source, r.match_type, q.request_id,
               CASE WHEN r.company_id IS NOT NULL OR q.request_id IS NOT NULL THEN NULL
                    -- no field at all: nothing to remember it by
                    WHEN r.temp_key IS NULL THEN enterprise._format_temp_id(pg_catalog.nextval('enterprise.temp_id_seq'))
                    -- minted now, known before, or minted by a concurrent
                    -- session during this statement (read in a new snapshot)
                    ELSE COALESCE(m.temp_id,
                                  (SELECT a.temp_id FROM enterprise.temp_id_assignments AS a
                                    WHERE a.temp_key = r.temp_key),
                                  enterprise._temp_id_for_key(r.temp_key))
               END AS temp_id
          FROM r
          LEFT JOIN requests AS q ON r.company_id IS NULL AND q.name_key = r.name_key
          LEFT JOIN minted AS m ON m.temp_key = r.temp_key
        OFFSET 0
      ) AS s
     ORDER BY s.ordinal;
END;
$$;

COMMENT ON FUNCTION enterprise.resolve_company_ids(text[], text[], text[], text[]) IS
    'Resolves a batch of records (one array per column, element i = record i) to company ids; '
    'one row per record with its 1-based ordinal, exactly as resolve_company_id would answer. '
    'Errors: 22023 invalid_parameter_value when the arrays differ in length or are multi-dimensional.';

REVOKE ALL ON FUNCTION enterprise.resolve_company_ids(text[], text[], text[], text[]) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION enterprise.resolve_company_ids(text[], text[], text[], text[])
    TO enrichment_reader, enrichment_worker, enrichment_admin;

COMMIT;
