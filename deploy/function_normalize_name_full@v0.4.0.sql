-- Deploy company_enrichment:function_normalize_name_full to pg
-- requires: function_name_decorations
-- requires: function_name_decoration_edges
-- requires: owner_enrichment_owner

BEGIN;

SET LOCAL ROLE enrichment_owner;

-- Private: every rule of normalize_name, the plpgsql body of the 0.2.1 release
-- word for word (the rules are listed below and in deploy/function_normalize_name.sql).
-- Since 0.3 normalize_name is an inlinable SQL expression that answers most
-- names itself (letters, digits and CJK ideographs, nothing a rule would
-- change but the case) and calls this function for the rest: brackets,
-- quotes, spaces, punctuation, decorations, full-width or compatibility
-- characters, placeholders. Its callers are normalize_name's callers, so the
-- roles that may normalize may call it.
--
CREATE OR REPLACE FUNCTION enterprise._normalize_name_full(name text)
RETURNS text
LANGUAGE plpgsql
IMMUTABLE
STRICT
PARALLEL SAFE
-- Pinned although it runs as its caller: plpgsql re-plans its expressions
-- whenever it is called under another search_path than last time, which
-- costs a millisecond; pinned, the plans are made once per session.
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    _s text;
BEGIN
    -- 2..5: NFKC, no whitespace, case-folded, brackets unified, quotes dropped.
    _s := pg_catalog.translate(
              pg_catalog.lower(
                  pg_catalog.regexp_replace(pg_catalog.normalize(name, 'NFKC'),
                                            '[[:space:]\u200b\u200c\u200d\u2060\ufeff]+', '', 'g')),
              '【】〔〕〖〗[]「」『』"“”',
              '()()()()');
    -- 6: empty brackets; removing "()" from "(())" leaves "()", so repeat.
    -- The loop never runs for a name without "()" (nearly all of them).
    WHILE pg_catalog.strpos(_s, '()') > 0 LOOP
        _s := pg_catalog.replace(_s, '()', '');
    END LOOP;
    -- 7: decorations at the start, only when the first character could begin one.
    IF pg_catalog.strpos((enterprise._name_decoration_edges())[1], pg_catalog.left(_s, 1)) > 0 THEN
        _s := pg_catalog.regexp_replace(_s,
                  '^(?:\((?:' || pg_catalog.array_to_string(enterprise._name_decorations(), '|')
                  || ')\)[-_—–:·]*|(?:' || pg_catalog.array_to_string(enterprise._name_decorations(), '|')
                  || ')[-_—–:·]+)+',
                  '');
    END IF;
    -- 8: decorations, punctuation and empty brackets at the end, only when the
    -- last character could end one.
    IF pg_catalog.strpos((enterprise._name_decoration_edges())[2], pg_catalog.right(_s, 1)) > 0 THEN
        _s := pg_catalog.regexp_replace(_s,
                  '(?:[-_—–:·]*\((?:' || pg_catalog.array_to_string(enterprise._name_decorations(), '|')
                  || ')\)|[-_—–:·]*(?:' || pg_catalog.array_to_string(enterprise._name_decorations(), '|')
                  || ')|[-—–.。]|\(\))+$',
                  '');
    END IF;
    -- NFKC once more: removing a space, a quote mark or a decoration can leave a
    -- combining mark next to a letter (NFKC turns a spacing accent ´ into a
    -- space and U+0301), and they compose only now. Without this second pass
    -- normalize_name(normalize_name(x)) could differ from normalize_name(x).
    _s := pg_catalog.normalize(_s, 'NFKC');
    -- 9: placeholders.
    IF _s IN ('null', 'none', 'nan', 'n/a', '#n/a', '空白', '空', '无', '/') THEN
        RETURN '';
    END IF;
    RETURN _s;
END;
$$;

COMMENT ON FUNCTION enterprise._normalize_name_full(text) IS
    'Private: normalize_name''s full rules (the 0.2.1 body); normalize_name calls it for names its fast path does not cover.';

REVOKE ALL ON FUNCTION enterprise._normalize_name_full(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION enterprise._normalize_name_full(text)
    TO enrichment_reader, enrichment_worker, enrichment_admin;

COMMIT;
