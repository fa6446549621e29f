-- Revert company_enrichment:function_name_decoration_edges from pg: back to the v0.3.0 body (a SQL function).
-- The v0.3.0 deploy script, run as the owner.
-- requires: function_name_decorations

BEGIN;

SET LOCAL ROLE enrichment_owner;

-- Private: {characters a decoration can start with, characters it can end
-- with}, derived from _name_decorations(), plus the brackets and punctuation
-- the strip patterns also remove. normalize_name looks at a name's first and
-- last character and runs a strip pattern only when it could match: most
-- names ("...有限公司") need neither. IMMUTABLE without arguments, so the
-- planner computes it once.
CREATE OR REPLACE FUNCTION enterprise._name_decoration_edges()
RETURNS text[]
LANGUAGE sql
IMMUTABLE
PARALLEL SAFE
RETURN ARRAY[
    (SELECT pg_catalog.string_agg(DISTINCT pg_catalog.left(d, 1), '')
       FROM pg_catalog.unnest(enterprise._name_decorations()) AS d) || '(',
    (SELECT pg_catalog.string_agg(DISTINCT pg_catalog.right(d, 1), '')
       FROM pg_catalog.unnest(enterprise._name_decorations()) AS d) || ')-—–.。'];

COMMENT ON FUNCTION enterprise._name_decoration_edges() IS
    'Private: first and last characters of the name decorations, for normalize_name''s quick checks.';

REVOKE ALL ON FUNCTION enterprise._name_decoration_edges() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION enterprise._name_decoration_edges()
    TO enrichment_reader, enrichment_worker, enrichment_admin;

COMMIT;
