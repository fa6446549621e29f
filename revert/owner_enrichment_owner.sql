-- Revert company_enrichment:owner_enrichment_owner from pg
-- The schema and its objects go back to the role reverting them (the deployer).
-- REASSIGN OWNED acts on this database only; the role itself is dropped by
-- role_enrichment_owner's revert when no other database uses it.

BEGIN;

REASSIGN OWNED BY enrichment_owner TO CURRENT_USER;

COMMIT;
