-- Deploy company_enrichment:function_check_mapping to pg
-- requires: function_mapping_key

BEGIN;

-- Private: raises a clear error when a mapping is not storable. Shared by the
-- curated bulk load and the EQC cache so both reject the same things the same
-- way. ordinal (1-based row of a bulk load) is named in DETAIL when given.
CREATE OR REPLACE FUNCTION enterprise._check_mapping(
    alias_name   text,
    canonical_id text,
    match_type   text,
    ordinal      bigint DEFAULT NULL)
RETURNS void
LANGUAGE plpgsql
IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    _where text := CASE WHEN ordinal IS NULL THEN '' ELSE pg_catalog.format('row %s: ', ordinal) END;
BEGIN
    IF match_type IS NULL OR match_type NOT IN ('plan', 'account', 'hardcode', 'name', 'account_name') THEN
        RAISE EXCEPTION USING
            ERRCODE = 'invalid_parameter_value',
            MESSAGE = 'invalid match_type',
            DETAIL  = _where || pg_catalog.format('alias_name %L has match_type %L', alias_name, match_type),
            HINT    = 'match_type is one of plan, account, hardcode, name, account_name.';
    END IF;
    IF pg_catalog.length(pg_catalog.btrim(alias_name)) > 255 THEN
        RAISE EXCEPTION USING
            ERRCODE = 'string_data_right_truncation',
            MESSAGE = 'alias_name is longer than 255 characters',
            DETAIL  = _where || pg_catalog.format('alias_name %L... has %s characters',
                          pg_catalog.left(alias_name, 40), pg_catalog.length(pg_catalog.btrim(alias_name))),
            HINT    = 'Shorten the alias to at most 255 characters.';
    END IF;
    IF COALESCE(enterprise._mapping_key(alias_name, match_type), '') = '' THEN
        RAISE EXCEPTION USING
            ERRCODE = 'invalid_parameter_value',
            MESSAGE = 'alias_name has an empty lookup key',
            DETAIL  = _where || pg_catalog.format('alias_name %L (match_type %s) has the lookup key %L',
                          alias_name, match_type, COALESCE(enterprise._mapping_key(alias_name, match_type), '')),
            HINT    = 'Give a non-blank alias; a name made only of placeholders (n/a, 无, -) '
                      'or status words (已转出, 注销) identifies no customer.';
    END IF;
    IF COALESCE(pg_catalog.btrim(canonical_id), '') = '' THEN
        RAISE EXCEPTION USING
            ERRCODE = 'invalid_parameter_value',
            MESSAGE = 'canonical_id is empty',
            DETAIL  = _where || pg_catalog.format('alias_name %L (match_type %s) has canonical_id %L',
                          alias_name, match_type, canonical_id),
            HINT    = 'Give the company id the alias maps to.';
    END IF;
    IF pg_catalog.length(pg_catalog.btrim(canonical_id)) > 50 THEN
        RAISE EXCEPTION USING
            ERRCODE = 'string_data_right_truncation',
            MESSAGE = 'canonical_id is longer than 50 characters',
            DETAIL  = _where || pg_catalog.format('alias_name %L has canonical_id %L (%s characters)',
                          alias_name, canonical_id, pg_catalog.length(pg_catalog.btrim(canonical_id))),
            HINT    = 'Company ids are at most 50 characters (EQC ids are 9 digits).';
    END IF;
END;
$$;

COMMENT ON FUNCTION enterprise._check_mapping(text, text, text, bigint) IS
    'Private: validates one mapping; raises 22023 or 22001 with the values and a hint.';

REVOKE ALL ON FUNCTION enterprise._check_mapping(text, text, text, bigint) FROM PUBLIC;

COMMIT;
