-- Verify company_enrichment:function_configure_lookup_queue on pg

BEGIN;

SELECT 1 / ((enterprise.configure_lookup_queue()).max_attempts >= 1)::int;
SELECT 1 / ((enterprise.configure_lookup_queue()).auto_accept_confidence BETWEEN 0 AND 1)::int;

-- the reworked body (after v0.3.0): the settle's synchronous_commit is policy, and only PostgreSQL's values are taken
SELECT 1 / ((enterprise.configure_lookup_queue(settle_synchronous_commit => ' ON ')).settle_synchronous_commit = 'on')::int;
DO $$
BEGIN
    PERFORM enterprise.configure_lookup_queue(settle_synchronous_commit => 'sometimes');
    RAISE EXCEPTION 'configure_lookup_queue accepted settle_synchronous_commit ''sometimes''';
EXCEPTION WHEN invalid_parameter_value THEN
    NULL;
END $$;

ROLLBACK;
