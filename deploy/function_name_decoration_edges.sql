-- Deploy company_enrichment:function_name_decoration_edges to pg
-- (reworked after v0.3.0: plpgsql, the edges as constants; the same sets)
-- requires: function_name_decorations

BEGIN;

SET LOCAL ROLE enrichment_owner;

-- Private: {characters a decoration can start with, characters it can end
-- with}, derived from _name_decorations(), plus the brackets and punctuation
-- the strip patterns also remove. normalize_name looks at a name's first and
-- last character and runs a strip pattern only when it could match: most
-- names ("...有限公司") need neither. IMMUTABLE without arguments, so the
-- planner computes it once.
-- Since 0.4 the two sets are written out (plpgsql, compiled once per
-- session): the planner folds this call by running it whenever it plans a
-- statement that calls normalize_name, and the 0.3 body (a SQL function
-- deriving them with two subqueries) was planned at every such fold.
-- pgtests/function_normalize_name.sql derives them from _name_decorations()
-- and fails if the two disagree: edit both together.
CREATE OR REPLACE FUNCTION enterprise._name_decoration_edges()
RETURNS text[]
LANGUAGE plpgsql
IMMUTABLE
PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    RETURN ARRAY['作停关冻吊在失存已撤歇注清破终被解转迁过退销(',
                 '业中产保入册出并废户效散止用算结续销闭)-—–.。']::pg_catalog.text[];
END;
$$;

COMMENT ON FUNCTION enterprise._name_decoration_edges() IS
    'Private: first and last characters of the name decorations, for normalize_name''s quick checks.';

REVOKE ALL ON FUNCTION enterprise._name_decoration_edges() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION enterprise._name_decoration_edges()
    TO enrichment_reader, enrichment_worker, enrichment_admin;

COMMIT;
