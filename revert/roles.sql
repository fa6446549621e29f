-- Revert company_enrichment:roles from pg
-- Roles are shared by every database of the cluster. Drop each one only if
-- nothing else still depends on it (another database where the project is
-- deployed, or a login role that was granted it); otherwise leave it and say so.

BEGIN;

DO $$
DECLARE
    _role text;
BEGIN
    FOREACH _role IN ARRAY ARRAY['enrichment_admin', 'enrichment_worker', 'enrichment_reader'] LOOP
        IF EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = _role) THEN
            BEGIN
                EXECUTE pg_catalog.format('DROP ROLE %I', _role);
            EXCEPTION WHEN dependent_objects_still_exist THEN
                RAISE NOTICE 'role % kept: it is still used elsewhere in this cluster', _role;
            END;
        END IF;
    END LOOP;
END
$$;

COMMIT;
