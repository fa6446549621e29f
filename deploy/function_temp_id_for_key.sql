-- Deploy company_enrichment:function_temp_id_for_key to pg
-- requires: table_temp_id_assignments

BEGIN;

-- Private: the TEMP id remembered for a key, minted on first use. Safe under
-- concurrency: two sessions asking for the same new key get the same id (the
-- loser of the insert race waits for the winner, then reads its row in a
-- fresh snapshot). Used by resolve_company_ids when a concurrent session
-- minted a key during its statement.
CREATE OR REPLACE FUNCTION enterprise._temp_id_for_key(temp_key text)
RETURNS text
LANGUAGE plpgsql
VOLATILE
STRICT
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    _temp_id text;
BEGIN
    INSERT INTO enterprise.temp_id_assignments AS t (temp_key)
    VALUES (_temp_id_for_key.temp_key)
    ON CONFLICT ON CONSTRAINT temp_id_assignments_pkey DO NOTHING
    RETURNING t.temp_id INTO _temp_id;

    IF _temp_id IS NULL THEN
        SELECT t.temp_id INTO STRICT _temp_id
          FROM enterprise.temp_id_assignments AS t
         WHERE t.temp_key = _temp_id_for_key.temp_key;
    END IF;
    RETURN _temp_id;
END;
$$;

COMMENT ON FUNCTION enterprise._temp_id_for_key(text) IS
    'Private: the TEMP id for a key, minted once; concurrent callers get the same id.';

REVOKE ALL ON FUNCTION enterprise._temp_id_for_key(text) FROM PUBLIC;

COMMIT;
