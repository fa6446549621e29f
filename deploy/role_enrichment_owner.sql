-- Deploy company_enrichment:role_enrichment_owner to pg
-- requires: roles
--
-- The role that owns the schema and everything in it (see owner_enrichment_owner),
-- so that SECURITY DEFINER functions run with its rights, never with the
-- deploying superuser's. It cannot log in, belongs to no role, and is granted
-- nothing outside the schema. Roles are cluster-wide: created only when
-- missing, so a second database on the cluster reuses it.
--
-- A deployer that is not a superuser becomes a member, because only a member
-- may give objects to the role and later replace functions it owns. That needs
-- CREATEROLE, or a superuser who created the role and ran
-- GRANT enrichment_owner TO <deployer> beforehand (see the README, "Deploying
-- without a superuser").

BEGIN;

DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = 'enrichment_owner') THEN
        CREATE ROLE enrichment_owner NOLOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS;
    END IF;
    IF NOT pg_catalog.pg_has_role(current_user, 'enrichment_owner', 'MEMBER') THEN
        BEGIN
            GRANT enrichment_owner TO current_user;
        EXCEPTION WHEN insufficient_privilege THEN
            RAISE EXCEPTION 'the deploying role % cannot become a member of enrichment_owner', current_user
                USING ERRCODE = 'insufficient_privilege',
                      DETAIL = 'Every object of schema enterprise is given to enrichment_owner, and only a member of a role may give objects to it.',
                      HINT = pg_catalog.format('As a superuser: GRANT enrichment_owner TO %I; (or give %I CREATEROLE), then deploy again.', current_user, current_user);
        END;
    END IF;
END
$$;

COMMENT ON ROLE enrichment_owner IS
    'company-enrichment: owns schema enterprise and its objects; SECURITY DEFINER functions run as it. NOLOGIN, no rights elsewhere.';

COMMIT;
