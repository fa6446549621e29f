-- Verify company_enrichment:type_company_id_result on pg

BEGIN;

SELECT (NULL::enterprise.company_id_result).request_id;
SELECT (NULL::enterprise._mapping_hit).canonical_id;

ROLLBACK;
