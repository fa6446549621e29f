-- Revert company_enrichment:function_prune_lookup_requests from pg: back to the v0.1.0 body

BEGIN;

-- Deletes done requests completed more than older_than ago, batch_size rows
-- per DELETE, at most max_rows in all (NULL: no limit; call it repeatedly in
-- separate transactions to keep each one short). A not_found answer is kept
-- while it is still the negative cache (negative_cache_period). Returns how
-- many rows were deleted.
CREATE OR REPLACE FUNCTION enterprise.prune_lookup_requests(
    older_than interval,
    batch_size integer DEFAULT 10000,
    max_rows   bigint  DEFAULT NULL)
RETURNS bigint
LANGUAGE plpgsql
VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    _negative interval := (SELECT s.negative_cache_period FROM enterprise.queue_settings AS s);
    _total    bigint := 0;
    _n        bigint;
BEGIN
    IF older_than IS NULL OR older_than < '0' OR batch_size IS NULL OR batch_size < 1 OR max_rows < 0 THEN
        RAISE EXCEPTION USING
            ERRCODE = 'invalid_parameter_value',
            MESSAGE = 'invalid prune arguments',
            DETAIL  = pg_catalog.format('older_than %s, batch_size %s, max_rows %s', COALESCE(older_than::text, 'NULL'),
                                        COALESCE(batch_size::text, 'NULL'), COALESCE(max_rows::text, 'NULL')),
            HINT    = 'older_than >= 0, batch_size >= 1, max_rows >= 0 or NULL.';
    END IF;
    LOOP
        DELETE FROM enterprise.lookup_requests AS q
         WHERE q.id IN (
            SELECT d.id FROM enterprise.lookup_requests AS d
             WHERE d.status = 'done'
               AND d.completed_at < pg_catalog.now() - older_than
               AND NOT (d.outcome = 'not_found' AND d.completed_at >= pg_catalog.now() - _negative)
             ORDER BY d.completed_at
             LIMIT LEAST(batch_size, COALESCE(max_rows - _total, batch_size)));
        GET DIAGNOSTICS _n = ROW_COUNT;
        _total := _total + _n;
        EXIT WHEN _n = 0 OR _total >= COALESCE(max_rows, _total + 1);
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
