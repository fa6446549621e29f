-- Revert company_enrichment:function_normalize_name from pg
--
-- Back to the 0.2.1 function: the plpgsql body with every rule (what
-- _normalize_name_full holds). The results are the same, so no stored key
-- changes and none is recomputed (the 0.2.1 deploy script's second half is
-- not needed here).

BEGIN;

SET LOCAL ROLE enrichment_owner;

-- The one definition of "same customer name". It runs once per name of every
-- resolved record, so it is written for speed: the decoration patterns are
-- constants folded once per session (plpgsql caches each expression's plan),
-- and the costly strip patterns only run when the first or last character
-- could belong to a decoration (most names end in 公司 and need neither).
--
-- Rules, in order:
--   1. NULL stays NULL.
--   2. Unicode NFKC: full width to half width, ideographic space to space.
--   3. Remove every whitespace character (and zero-width spaces / BOM).
--   4. Case-fold (lower(), by the database's ctype; ASCII folds everywhere).
--   5. Unify brackets 【】〔〕〖〗[] to (), drop quote marks 「」『』"“”.
--   6. Drop empty brackets "()", until none are left ("(())" too).
--   7. At the start: strip status decorations in brackets, or bare when a
--      separator (- _ — – : ·) follows them.
--   8. At the end: strip status decorations (bare or in brackets, after any
--      separators), trailing punctuation (- — – . 。) and empty brackets,
--      repeatedly.
--   9. NFKC once more (what the removals left may compose), then
--      placeholders (null, none, nan, n/a, #n/a, 空白, 空, 无, /) become ''.
--      Names that were only dashes or decorations are '' by now as well.
-- Brackets inside the name are kept: "abc（集团）公司" -> "abc(集团)公司",
-- "中国（北京）科技" -> "中国(北京)科技".
CREATE OR REPLACE FUNCTION enterprise.normalize_name(name text)
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

COMMENT ON FUNCTION enterprise.normalize_name(text) IS
    'Normalizes a customer or account name into its lookup key: NFKC, no whitespace, '
    'case-folded, quotes dropped, brackets unified, status decorations and trailing '
    'punctuation stripped, placeholders -> ''''. NULL stays NULL. Raises nothing.';

REVOKE ALL ON FUNCTION enterprise.normalize_name(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION enterprise.normalize_name(text)
    TO enrichment_reader, enrichment_worker, enrichment_admin;

COMMIT;
