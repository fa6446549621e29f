-- Deploy company_enrichment:function_preview_company_ids to pg
-- requires: function_lookup_company_ids
-- requires: function_check_record_arrays

BEGIN;

-- What resolve_company_ids would answer, computed without writing anything:
-- no request is queued and no TEMP id is minted. For plan-only pipeline runs.
-- Where resolution would create something, the id is NULL: a pending_lookup
-- row with request_id NULL would be queued, a temp_assigned row with
-- company_id NULL would get a new TEMP id.
CREATE OR REPLACE FUNCTION enterprise.preview_company_ids(
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
STABLE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
-- Planner settings that keep every call an index lookup with a plan made once
-- per session, whatever the statistics say (README, "Plans that hold").
SET enable_seqscan = off
SET plan_cache_mode = force_generic_plan
-- See resolve_company_ids: hash joins for any batch size, index probes as
-- correlated subqueries.
SET enable_nestloop = off
-- An OLTP-sized query that JIT would spend longer compiling than running;
-- and enough memory to sort a large batch back into input order in memory.
SET jit = off
SET work_mem = '64MB'
AS $$
#variable_conflict use_column
BEGIN
    IF enterprise._check_record_arrays('preview_company_ids', plan_codes, customer_names, account_names, account_numbers) = 0 THEN
        RETURN;
    END IF;

    RETURN QUERY
    WITH r AS (
        SELECT l.*,
               (SELECT a.temp_id FROM enterprise.temp_id_assignments AS a WHERE a.temp_key = l.temp_key) AS known_temp_id,
               l.company_id IS NULL AND l.name_key IS NOT NULL AND NOT l.temp_by_name AS pending
          FROM enterprise._lookup_company_ids(plan_codes, customer_names, account_names, account_numbers) AS l
    )
    SELECT r.ordinal,
           COALESCE(r.company_id, r.known_temp_id),
           CASE WHEN r.company_id IS NOT NULL AND r.source = 'internal' THEN 'success_internal'
                WHEN r.company_id IS NOT NULL THEN 'success_external'
                WHEN r.pending THEN 'pending_lookup'
                ELSE 'temp_assigned'
           END,
           CASE WHEN r.company_id IS NOT NULL AND r.source = 'internal' THEN r.match_type
                WHEN r.company_id IS NOT NULL THEN r.source
                WHEN r.pending THEN 'queued'
                ELSE 'generated'
           END,
           r.match_type,
           r.known_temp_id,
           CASE WHEN r.pending THEN COALESCE(r.live_id, r.failed_id) END
      FROM r
     ORDER BY r.ordinal;
END;
$$;

COMMENT ON FUNCTION enterprise.preview_company_ids(text[], text[], text[], text[]) IS
    'What resolve_company_ids would answer, without writing: nothing is queued and no TEMP id minted '
    '(ids that resolution would create are NULL). Errors: 22023 arrays of different lengths.';

REVOKE ALL ON FUNCTION enterprise.preview_company_ids(text[], text[], text[], text[]) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION enterprise.preview_company_ids(text[], text[], text[], text[])
    TO enrichment_reader, enrichment_worker, enrichment_admin;

COMMIT;
