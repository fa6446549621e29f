-- Deploy company_enrichment:sequence_temp_id to pg
-- requires: schema_enterprise

BEGIN;

-- Source of the number in TEMP_000001. A sequence never hands out the same
-- value twice, whatever the concurrency; values lost to rolled-back
-- transactions leave gaps, which is fine for an identifier.
CREATE SEQUENCE enterprise.temp_id_seq AS bigint START WITH 1 MINVALUE 1 NO CYCLE;

COMMENT ON SEQUENCE enterprise.temp_id_seq IS
    'Numbers for temporary company ids (TEMP_000001). Use next_temp_id(), never nextval directly.';

REVOKE ALL ON SEQUENCE enterprise.temp_id_seq FROM PUBLIC;

COMMIT;
