-- Verify company_enrichment:function_eqc_candidate_fault on pg

BEGIN;

SELECT 1 / (enterprise._eqc_candidate_fault('{"companyId": "1", "companyFullName": "x公司"}', true) IS NULL
            AND enterprise._eqc_candidate_fault('{"companyFullName": "x公司"}', true) = 'an EQC candidate has no companyId'
            AND enterprise._eqc_candidate_fault('{"companyId": "1"}', false) IS NULL)::int;

ROLLBACK;
