-- Deploy company_enrichment:function_check_record_arrays to pg
-- requires: schema_enterprise

BEGIN;

-- Private: the batch functions take one array per column; element i of each
-- is record i. Raises unless the arrays given are one-dimensional and of one
-- length; returns that length (0 when every array is NULL or empty).
CREATE OR REPLACE FUNCTION enterprise._check_record_arrays(
    caller          text,
    plan_codes      text[],
    customer_names  text[],
    account_names   text[],
    account_numbers text[])
RETURNS integer
LANGUAGE plpgsql
IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    _n integer := COALESCE(GREATEST(pg_catalog.cardinality(plan_codes), pg_catalog.cardinality(customer_names),
                                    pg_catalog.cardinality(account_names), pg_catalog.cardinality(account_numbers)), 0);
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
            MESSAGE = caller || ': the input arrays must be one-dimensional and of equal length',
            DETAIL  = pg_catalog.format('lengths: plan_codes %s, customer_names %s, account_names %s, account_numbers %s',
                          COALESCE(pg_catalog.cardinality(plan_codes)::text, 'NULL'),
                          COALESCE(pg_catalog.cardinality(customer_names)::text, 'NULL'),
                          COALESCE(pg_catalog.cardinality(account_names)::text, 'NULL'),
                          COALESCE(pg_catalog.cardinality(account_numbers)::text, 'NULL')),
            HINT    = 'Pass one element per record in each array (NULL elements for missing values), '
                      'or NULL instead of a whole column the batch does not have.';
    END IF;
    RETURN _n;
END;
$$;

COMMENT ON FUNCTION enterprise._check_record_arrays(text, text[], text[], text[], text[]) IS
    'Private: validates the column arrays of a batch and returns the number of records; raises 22023.';

REVOKE ALL ON FUNCTION enterprise._check_record_arrays(text, text[], text[], text[], text[]) FROM PUBLIC;

COMMIT;
