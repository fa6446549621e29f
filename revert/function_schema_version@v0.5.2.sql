-- Revert company_enrichment:function_schema_version from pg: back to 0.5.1 (the v0.5.1 deploy script)
-- requires: schema_enterprise

BEGIN;

SET LOCAL ROLE enrichment_owner;

-- The release of the SQL API this database runs: it moves with the sqitch
-- plan's tags and the Python package's version, so a client can tell an
-- outdated database from a broken one.
CREATE OR REPLACE FUNCTION enterprise.schema_version()
RETURNS text
LANGUAGE sql
IMMUTABLE
PARALLEL SAFE
RETURN '0.5.1';

COMMENT ON FUNCTION enterprise.schema_version() IS 'The release of the SQL API deployed here (0.5.1). Raises nothing.';

REVOKE ALL ON FUNCTION enterprise.schema_version() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION enterprise.schema_version() TO enrichment_reader, enrichment_worker, enrichment_admin;

COMMIT;
