-- Deploy company_enrichment:function_eqc_candidate_fault to pg
-- requires: owner_enrichment_owner

BEGIN;

SET LOCAL ROLE enrichment_owner;

-- Private: what is wrong with one of EQC's candidates, NULL when nothing is:
-- the rules _score_candidates checks every candidate against, written once
-- (its quick check of a whole batch and its search for the first fault both
-- call it). candidate is one element of EQC's "list"; scored false (a caller
-- that chose the company itself) lets companyFullName be absent. A message
-- containing "longer than" is a value too long (22001), any other an invalid
-- value (22023). A SQL body, inlined into the statements that call it.
CREATE FUNCTION enterprise._eqc_candidate_fault(candidate jsonb, scored boolean)
RETURNS text
LANGUAGE sql
IMMUTABLE
PARALLEL SAFE
RETURN CASE
    WHEN pg_catalog.jsonb_typeof(candidate) <> 'object' THEN 'an EQC candidate must be a JSON object'
    WHEN COALESCE(pg_catalog.jsonb_typeof(candidate -> 'companyId'), 'null') NOT IN ('string', 'number')
         OR pg_catalog.btrim(candidate ->> 'companyId') = '' THEN 'an EQC candidate has no companyId'
    WHEN pg_catalog.length(pg_catalog.btrim(candidate ->> 'companyId')) > 50 THEN 'companyId is longer than 50 characters'
    WHEN pg_catalog.jsonb_typeof(candidate -> 'companyFullName') NOT IN ('string', 'null')
         THEN 'companyFullName must be a string'
    WHEN scored AND COALESCE(pg_catalog.btrim(candidate ->> 'companyFullName'), '') = ''
         THEN 'an EQC candidate has no companyFullName'
    WHEN pg_catalog.length(candidate ->> 'companyFullName') > 1000 THEN 'companyFullName is longer than 1000 characters'
    WHEN pg_catalog.jsonb_typeof(candidate -> 'unite_code') NOT IN ('string', 'null') THEN 'unite_code must be a string'
    WHEN pg_catalog.length(pg_catalog.btrim(candidate ->> 'unite_code')) > 50 THEN 'unite_code is longer than 50 characters'
    WHEN pg_catalog.jsonb_typeof(candidate -> 'type') NOT IN ('string', 'null') THEN 'type must be a string'
    WHEN pg_catalog.length(pg_catalog.btrim(candidate ->> 'type')) > 50 THEN 'type is longer than 50 characters'
END;

COMMENT ON FUNCTION enterprise._eqc_candidate_fault(jsonb, boolean) IS
    'Private: what is wrong with one EQC candidate (NULL: nothing); the rules of _score_candidates.';

REVOKE ALL ON FUNCTION enterprise._eqc_candidate_fault(jsonb, boolean) FROM PUBLIC;

COMMIT;
