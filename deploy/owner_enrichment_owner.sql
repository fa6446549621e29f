-- Deploy company_enrichment:owner_enrichment_owner to pg
-- requires: role_enrichment_owner
-- requires: schema_enterprise
--
-- enrichment_owner owns schema enterprise and every object in it. The
-- SECURITY DEFINER functions then run as a role that can do nothing but what
-- the schema's own objects allow, whoever deployed them (PostgreSQL's advice
-- for definer functions). Grants move with the objects: what callers were
-- granted stays granted, now by enrichment_owner.
--
-- Changes deployed after this one start with SET LOCAL ROLE enrichment_owner,
-- so what they create belongs to it too (pgtests/owner_role.sql fails otherwise).

BEGIN;

ALTER SCHEMA enterprise OWNER TO enrichment_owner;

DO $$
DECLARE
    _object record;
BEGIN
    -- Tables (their indexes, triggers, row types and the sequences their
    -- identity and serial columns own go with them), views, free sequences.
    FOR _object IN
        SELECT c.oid::regclass AS name, c.relkind
          FROM pg_catalog.pg_class c
         WHERE c.relnamespace = 'enterprise'::regnamespace
           AND c.relkind IN ('r', 'p', 'v', 'm', 'f', 'S')
           AND c.relowner <> 'enrichment_owner'::regrole
           AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend d
                            WHERE d.classid = 'pg_catalog.pg_class'::regclass AND d.objid = c.oid
                              AND d.refclassid = 'pg_catalog.pg_class'::regclass AND d.deptype IN ('a', 'i'))
         ORDER BY c.oid
    LOOP
        EXECUTE pg_catalog.format('ALTER %s %s OWNER TO enrichment_owner',
            CASE _object.relkind WHEN 'v' THEN 'VIEW' WHEN 'm' THEN 'MATERIALIZED VIEW'
                                 WHEN 'f' THEN 'FOREIGN TABLE' WHEN 'S' THEN 'SEQUENCE' ELSE 'TABLE' END,
            _object.name);
    END LOOP;

    -- Types of their own: standalone composite types, enums, domains, ranges
    -- (array and multirange types, and the row types of tables, follow theirs).
    FOR _object IN
        SELECT t.oid::regtype AS name, t.typtype
          FROM pg_catalog.pg_type t
          LEFT JOIN pg_catalog.pg_class c ON c.oid = t.typrelid
         WHERE t.typnamespace = 'enterprise'::regnamespace
           AND t.typowner <> 'enrichment_owner'::regrole
           AND (t.typtype IN ('e', 'd', 'r') OR (t.typtype = 'c' AND c.relkind = 'c'))
         ORDER BY t.oid
    LOOP
        EXECUTE pg_catalog.format('ALTER %s %s OWNER TO enrichment_owner',
            CASE _object.typtype WHEN 'd' THEN 'DOMAIN' ELSE 'TYPE' END, _object.name);
    END LOOP;

    -- Functions and procedures.
    FOR _object IN
        SELECT p.oid::regprocedure AS name, p.prokind
          FROM pg_catalog.pg_proc p
         WHERE p.pronamespace = 'enterprise'::regnamespace
           AND p.proowner <> 'enrichment_owner'::regrole
         ORDER BY p.oid
    LOOP
        EXECUTE pg_catalog.format('ALTER %s %s OWNER TO enrichment_owner',
            CASE _object.prokind WHEN 'a' THEN 'AGGREGATE' ELSE 'ROUTINE' END, _object.name);
    END LOOP;
END
$$;

-- Nothing of the schema is left to anyone else (an object of a kind the loops
-- above do not know would stop the deploy here rather than stay with its creator).
DO $$
DECLARE
    _left text;
BEGIN
    SELECT pg_catalog.string_agg(o.what, ', ' ORDER BY o.what) INTO _left
      FROM (SELECT 'relation ' || c.oid::regclass AS what FROM pg_catalog.pg_class c
             WHERE c.relnamespace = 'enterprise'::regnamespace AND c.relowner <> 'enrichment_owner'::regrole
            UNION ALL
            SELECT 'type ' || t.oid::regtype FROM pg_catalog.pg_type t
             WHERE t.typnamespace = 'enterprise'::regnamespace AND t.typowner <> 'enrichment_owner'::regrole
            UNION ALL
            SELECT 'function ' || p.oid::regprocedure FROM pg_catalog.pg_proc p
             WHERE p.pronamespace = 'enterprise'::regnamespace AND p.proowner <> 'enrichment_owner'::regrole
            UNION ALL
            SELECT 'operator ' || o.oid::regoperator FROM pg_catalog.pg_operator o
             WHERE o.oprnamespace = 'enterprise'::regnamespace AND o.oprowner <> 'enrichment_owner'::regrole
            UNION ALL
            SELECT 'statistics ' || s.stxname FROM pg_catalog.pg_statistic_ext s
             WHERE s.stxnamespace = 'enterprise'::regnamespace AND s.stxowner <> 'enrichment_owner'::regrole) AS o;
    IF _left IS NOT NULL THEN
        RAISE EXCEPTION 'schema enterprise still has objects not owned by enrichment_owner'
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  DETAIL = _left,
                  HINT = 'Give them to enrichment_owner in this change (ALTER ... OWNER TO enrichment_owner).';
    END IF;
END
$$;

COMMIT;
