-- Deploy company_enrichment:function_company_profiles to pg
-- requires: table_eqc_companies

BEGIN;

-- What EQC said about companies, for pipelines that want official names and
-- codes: one row per known id, in the order asked (ids EQC never returned
-- are left out; an id asked twice comes back once).
CREATE OR REPLACE FUNCTION enterprise.company_profiles(company_ids text[])
RETURNS TABLE (
    company_id   text,
    full_name    text,
    unite_code   text,
    last_seen_at timestamptz)
LANGUAGE sql
STABLE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
BEGIN ATOMIC
    SELECT e.company_id, e.full_name, e.unite_code, e.last_seen_at
      FROM (SELECT DISTINCT ON (pg_catalog.btrim(u.id)) pg_catalog.btrim(u.id) AS id, u.ord
              FROM ROWS FROM (pg_catalog.unnest(company_profiles.company_ids)) WITH ORDINALITY AS u(id, ord)
             WHERE u.id IS NOT NULL
             ORDER BY pg_catalog.btrim(u.id), u.ord) AS a
      JOIN enterprise.eqc_companies AS e ON e.company_id = a.id
     ORDER BY a.ord;
END;

COMMENT ON FUNCTION enterprise.company_profiles(text[]) IS
    'Official full name, unite_code and when EQC last returned it, for each known company id, in input order. '
    'Raises nothing.';

REVOKE ALL ON FUNCTION enterprise.company_profiles(text[]) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION enterprise.company_profiles(text[]) TO enrichment_reader, enrichment_worker, enrichment_admin;

COMMIT;
