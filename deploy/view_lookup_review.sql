-- Deploy company_enrichment:view_lookup_review to pg
-- requires: table_lookup_requests_review

BEGIN;

-- The requests waiting for a person: EQC answered, but no candidate scored
-- auto_accept_confidence. candidates is a JSON array, best first, of objects
-- {company_id, full_name, unite_code, eqc_type, confidence}. Decide with
-- accept_lookup_candidate or reject_lookup.
CREATE VIEW enterprise.lookup_review AS
SELECT q.id AS request_id, q.name, q.normalized_name, q.created_at, q.updated_at AS review_since, q.candidates
  FROM enterprise.lookup_requests AS q
 WHERE q.status = 'review';

COMMENT ON VIEW enterprise.lookup_review IS
    'Lookup requests under review (EQC''s best candidate scored below auto_accept_confidence), with their '
    'scored candidates best first. Decide with accept_lookup_candidate() or reject_lookup().';

REVOKE ALL ON enterprise.lookup_review FROM PUBLIC;
GRANT SELECT ON enterprise.lookup_review TO enrichment_admin;

COMMIT;
