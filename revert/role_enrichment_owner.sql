-- Revert company_enrichment:role_enrichment_owner from pg
-- The role is shared by every database of the cluster: drop it only if
-- nothing else depends on it (objects it owns in another database where the
-- project is deployed); otherwise leave it and say so.

BEGIN;

DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = 'enrichment_owner') THEN
        BEGIN
            DROP ROLE enrichment_owner;
        EXCEPTION WHEN dependent_objects_still_exist THEN
            RAISE NOTICE 'role enrichment_owner kept: it is still used elsewhere in this cluster';
        END;
    END IF;
END
$$;

COMMIT;
