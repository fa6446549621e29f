-- Deploy company_enrichment:roles to pg
-- The three roles callers are granted. Roles are cluster-wide, so they are
-- created only when missing: deploying into a second database on the same
-- cluster reuses them.

BEGIN;

DO $$
DECLARE
    _role text;
BEGIN
    FOREACH _role IN ARRAY ARRAY['enrichment_reader', 'enrichment_worker', 'enrichment_admin'] LOOP
        IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = _role) THEN
            EXECUTE pg_catalog.format('CREATE ROLE %I NOLOGIN', _role);
        END IF;
    END LOOP;
END
$$;

-- Workers and admins can do everything a reader can.
DO $$
BEGIN
    IF NOT pg_catalog.pg_has_role('enrichment_worker', 'enrichment_reader', 'MEMBER') THEN
        GRANT enrichment_reader TO enrichment_worker;
    END IF;
    IF NOT pg_catalog.pg_has_role('enrichment_admin', 'enrichment_reader', 'MEMBER') THEN
        GRANT enrichment_reader TO enrichment_admin;
    END IF;
END
$$;

COMMENT ON ROLE enrichment_reader IS
    'company-enrichment: may resolve company ids and normalize names.';
COMMENT ON ROLE enrichment_worker IS
    'company-enrichment: reader plus the lookup-queue functions and cache_company_mapping.';
COMMENT ON ROLE enrichment_admin IS
    'company-enrichment: reader plus loading curated mappings and queue maintenance.';

COMMIT;
