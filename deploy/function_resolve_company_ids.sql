-- Deploy company_enrichment:function_resolve_company_ids to pg
-- requires: function_lookup_company_ids
-- requires: function_temp_id_for_key
-- requires: function_next_temp_id

BEGIN;

-- Set-based resolution for pipelines. Each argument is one column of the
-- batch: element i of every array belongs to record i (1-based ordinal).
-- Pass NULL for a column the batch does not have. One statement, no loop:
--   1. probe the mappings for every record (_lookup_company_ids);
--   2. mint TEMP ids for the distinct record keys seen for the first time,
--      in input order (one id per key, however often it repeats);
--   3. return one row per record, in input order.
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
AS $$
DECLARE
    _n integer := GREATEST(pg_catalog.cardinality(plan_codes), pg_catalog.cardinality(customer_names),
                           pg_catalog.cardinality(account_names), pg_catalog.cardinality(account_numbers));
BEGIN
    IF COALESCE(pg_catalog.array_ndims(plan_codes), 1) > 1
       OR COALESCE(pg_catalog.array_ndims(customer_names), 1) > 1
       OR COALESCE(pg_catalog.array_ndims(account_names), 1) > 1
       OR COALESCE(pg_catalog.array_ndims(account_numbers), 1) > 1
       OR pg_catalog.cardinality(plan_codes) <> _n
       OR pg_catalog.cardinality(customer_names) <> _n
       OR pg_catalog.cardinality(account_names) <> _n
       OR pg_catalog.cardinality(account_numbers) <> _n
    THEN
        RAISE EXCEPTION USING
            ERRCODE = 'invalid_parameter_value',
            MESSAGE = 'resolve_company_ids: the input arrays must be one-dimensional and of equal length',
            DETAIL  = pg_catalog.format('lengths: plan_codes %s, customer_names %s, account_names %s, account_numbers %s',
                          COALESCE(pg_catalog.cardinality(plan_codes)::text, 'NULL'),
                          COALESCE(pg_catalog.cardinality(customer_names)::text, 'NULL'),
                          COALESCE(pg_catalog.cardinality(account_names)::text, 'NULL'),
                          COALESCE(pg_catalog.cardinality(account_numbers)::text, 'NULL')),
            HINT    = 'Pass one element per record in each array (NULL elements for missing values), '
                      'or NULL instead of a whole column the batch does not have.';
    END IF;
    IF COALESCE(_n, 0) = 0 THEN
        RETURN;
    END IF;

    RETURN QUERY
    WITH r AS MATERIALIZED (
        SELECT * FROM enterprise._lookup_company_ids(plan_codes, customer_names, account_names, account_numbers)
    ),
    wanted AS (
        SELECT r.record_key, pg_catalog.min(r.ordinal) AS first_ordinal
          FROM r
         WHERE r.company_id IS NULL AND r.record_key IS NOT NULL
         GROUP BY r.record_key
    ),
    minted AS (
        INSERT INTO enterprise.temp_id_assignments AS t (temp_key)
        SELECT w.record_key
          FROM wanted AS w
         WHERE NOT EXISTS (SELECT 1 FROM enterprise.temp_id_assignments AS x WHERE x.temp_key = w.record_key)
         ORDER BY w.first_ordinal
        ON CONFLICT ON CONSTRAINT temp_id_assignments_pkey DO NOTHING
        RETURNING t.temp_key, t.temp_id
    ),
    resolved AS (
        SELECT r.ordinal, r.company_id, r.source, r.match_type, r.name_key,
               CASE WHEN r.company_id IS NOT NULL OR r.name_key IS NOT NULL THEN NULL
                    WHEN r.record_key IS NULL THEN enterprise.next_temp_id()
                    -- minted now, known before, or minted by a concurrent
                    -- session during this statement (read in a new snapshot)
                    ELSE COALESCE(m.temp_id, a.temp_id, enterprise._temp_id_for_key(r.record_key))
               END AS temp_id
          FROM r
          LEFT JOIN minted AS m ON m.temp_key = r.record_key
          LEFT JOIN enterprise.temp_id_assignments AS a ON a.temp_key = r.record_key
    )
    SELECT s.ordinal,
           COALESCE(s.company_id, s.temp_id),
           CASE WHEN s.company_id IS NOT NULL AND s.source = 'internal' THEN 'success_internal'
                WHEN s.company_id IS NOT NULL THEN 'success_external'
                WHEN s.name_key IS NOT NULL THEN 'pending_lookup'
                ELSE 'temp_assigned'
           END,
           CASE WHEN s.company_id IS NOT NULL AND s.source = 'internal' THEN s.match_type
                WHEN s.company_id IS NOT NULL THEN s.source
                WHEN s.name_key IS NOT NULL THEN 'queued'
                ELSE 'generated'
           END,
           s.match_type,
           s.temp_id,
           -- The lookup queue supplies the request id for pending names.
           NULL::bigint
      FROM resolved AS s
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
