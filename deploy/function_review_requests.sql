-- Deploy company_enrichment:function_review_requests to pg
-- requires: view_lookup_review
-- requires: owner_enrichment_owner

BEGIN;
SET LOCAL ROLE enrichment_owner;

-- The requests under review for a page of the web console: oldest first
-- (request_id), after a given request_id (keyset pagination, never OFFSET),
-- optionally only those whose name contains a text. Every role may look;
-- only admins may decide (accept_lookup_candidate, reject_lookup).
CREATE OR REPLACE FUNCTION enterprise.review_requests(
    name_contains text    DEFAULT NULL,
    after         bigint  DEFAULT NULL,
    max_rows      integer DEFAULT 50)
RETURNS SETOF enterprise.lookup_review
LANGUAGE plpgsql
STABLE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    _pattern text;
BEGIN
    IF max_rows IS NULL OR max_rows NOT BETWEEN 1 AND 1000 THEN
        RAISE EXCEPTION USING
            ERRCODE = 'invalid_parameter_value',
            MESSAGE = 'review_requests: max_rows must be between 1 and 1000',
            DETAIL  = pg_catalog.format('max_rows %s', COALESCE(max_rows::text, 'NULL')),
            HINT    = 'Page through the rest with after => the last request_id of the page.';
    END IF;
    IF pg_catalog.btrim(COALESCE(name_contains, '')) <> '' THEN
        -- a literal text, not a LIKE pattern: escape the wildcards
        _pattern := '%' || pg_catalog.replace(pg_catalog.replace(pg_catalog.replace(
                        pg_catalog.btrim(name_contains), '\', '\\'), '%', '\%'), '_', '\_') || '%';
    END IF;
    RETURN QUERY
    SELECT r.*
      FROM enterprise.lookup_review AS r
     WHERE (review_requests.after IS NULL OR r.request_id > review_requests.after)
       AND (_pattern IS NULL OR r.name ILIKE _pattern OR r.normalized_name ILIKE _pattern)
     ORDER BY r.request_id
     LIMIT review_requests.max_rows;
END;
$$;

COMMENT ON FUNCTION enterprise.review_requests(text, bigint, integer) IS
    'The requests under review, oldest first, max_rows after request_id "after" (keyset pagination), '
    'optionally only names containing name_contains (a literal text, case-insensitive). '
    'Errors: 22023 max_rows outside 1..1000.';

REVOKE ALL ON FUNCTION enterprise.review_requests(text, bigint, integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION enterprise.review_requests(text, bigint, integer) TO enrichment_reader;

COMMIT;
