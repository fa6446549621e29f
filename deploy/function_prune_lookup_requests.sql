-- Deploy company_enrichment:function_prune_lookup_requests to pg
-- requires: function_prune_lookup_requests@v0.1.0
-- requires: index_lookup_requests_completed_id

BEGIN;

-- Deletes done requests completed more than older_than ago, batch_size rows
-- per DELETE, at most max_rows in all (NULL: no limit; call it repeatedly in
-- separate transactions to keep each one short). A not_found answer is kept
-- while it is still the negative cache (negative_cache_period). Returns how
-- many rows were deleted.
--
-- Linear in the rows it deletes: each batch starts at a cursor on
-- (completed_at, id), the last row of the batch before, so it never reads
-- again the index entries this transaction already deleted (those stay in the
-- index, and can't be skipped, until the transaction ends). The id breaks ties
-- on completed_at: a row is neither skipped nor deleted twice when a batch
-- ends inside a run of equal completion times. The planner settings keep the
-- batch an ordered scan of lookup_requests_completed_id_idx from the cursor
-- (a bitmap scan or a sort would read everything after the cursor each time).
CREATE OR REPLACE FUNCTION enterprise.prune_lookup_requests(
    older_than interval,
    batch_size integer DEFAULT 10000,
    max_rows   bigint  DEFAULT NULL)
RETURNS bigint
LANGUAGE plpgsql
VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET enable_seqscan = off
SET enable_bitmapscan = off
SET jit = off
SET plan_cache_mode = force_generic_plan
AS $$
DECLARE
    _negative   interval := (SELECT s.negative_cache_period FROM enterprise.queue_settings AS s);
    _before     timestamptz;  -- done before this: old enough to prune
    _cache_from timestamptz;  -- not_found answers done at or after this are still the negative cache
    _after_at   timestamptz := '-infinity';            -- the cursor: the last row of the last batch
    _after_id   bigint      := -9223372036854775808;
    _total      bigint := 0;
    _n          bigint;
BEGIN
    IF older_than IS NULL OR older_than < '0' OR batch_size IS NULL OR batch_size < 1 OR max_rows < 0 THEN
        RAISE EXCEPTION USING
            ERRCODE = 'invalid_parameter_value',
            MESSAGE = 'invalid prune arguments',
            DETAIL  = pg_catalog.format('older_than %s, batch_size %s, max_rows %s', COALESCE(older_than::text, 'NULL'),
                                        COALESCE(batch_size::text, 'NULL'), COALESCE(max_rows::text, 'NULL')),
            HINT    = 'older_than >= 0, batch_size >= 1, max_rows >= 0 or NULL.';
    END IF;
    _before     := pg_catalog.now() - older_than;
    _cache_from := pg_catalog.now() - _negative;
    WHILE _total < COALESCE(max_rows, _total + 1) LOOP
        WITH batch AS MATERIALIZED (
            SELECT d.ctid AS tid, d.id, d.completed_at
              FROM enterprise.lookup_requests AS d
             WHERE d.status = 'done'
               AND (d.completed_at, d.id) > (_after_at, _after_id)
               AND d.completed_at < _before
               AND NOT (d.outcome = 'not_found' AND d.completed_at >= _cache_from)
             ORDER BY d.completed_at, d.id
             LIMIT LEAST(batch_size, COALESCE(max_rows - _total, batch_size))
        ), gone AS (
            -- By tuple id, no second index descent per row. The row's own conditions again: a row
            -- changed since the batch read it is rechecked (and one moved by an update is left alone).
            DELETE FROM enterprise.lookup_requests AS q
             WHERE q.ctid = ANY (ARRAY(SELECT b.tid FROM batch AS b))
               AND q.status = 'done'
               AND q.completed_at < _before
               AND NOT (q.outcome = 'not_found' AND q.completed_at >= _cache_from)
            RETURNING q.id
        )
        SELECT b.completed_at, b.id, (SELECT pg_catalog.count(*) FROM gone)
          INTO _after_at, _after_id, _n
          FROM batch AS b
         ORDER BY b.completed_at DESC, b.id DESC
         LIMIT 1;
        EXIT WHEN NOT FOUND;  -- nothing after the cursor: done
        _total := _total + _n;
    END LOOP;
    RETURN _total;
END;
$$;

COMMENT ON FUNCTION enterprise.prune_lookup_requests(interval, integer, bigint) IS
    'Deletes done lookup requests completed more than older_than ago in batches of batch_size, at '
    'most max_rows; keeps not_found answers younger than negative_cache_period. Returns the count. '
    'Errors: 22023 negative or NULL arguments.';

REVOKE ALL ON FUNCTION enterprise.prune_lookup_requests(interval, integer, bigint) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION enterprise.prune_lookup_requests(interval, integer, bigint) TO enrichment_admin;

COMMIT;
