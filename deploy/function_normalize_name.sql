-- Deploy company_enrichment:function_normalize_name to pg
-- requires: function_name_decorations

BEGIN;

-- The one definition of "same customer name". A single SQL expression (no
-- plpgsql) so the planner inlines it and folds the decoration patterns into
-- constants: it runs once per input row of every resolution.
--
-- Rules, in order:
--   1. NULL stays NULL.
--   2. Unicode NFKC: full width to half width, ideographic space to space.
--   3. Remove every whitespace character (and zero-width spaces / BOM).
--   4. Case-fold (lower(), by the database's ctype; ASCII folds everywhere).
--   5. Unify brackets 【】〔〕〖〗[] to (), drop quote marks 「」『』"“”.
--   6. Drop empty brackets "()".
--   7. At the start: strip status decorations in brackets, or bare when a
--      separator (- _ — – : ·) follows them.
--   8. At the end: strip status decorations (bare or in brackets, after any
--      separators), trailing punctuation (- — – . 。) and empty brackets,
--      repeatedly.
--   9. Placeholders (null, none, nan, n/a, #n/a, 空白, 空, 无, /) become ''.
--      Names that were only dashes or decorations are '' by now as well.
-- Brackets inside the name are kept: "abc（集团）公司" -> "abc(集团)公司",
-- "中国（北京）科技" -> "中国(北京)科技".
CREATE OR REPLACE FUNCTION enterprise.normalize_name(name text)
RETURNS text
LANGUAGE sql
IMMUTABLE
PARALLEL SAFE
RETURN pg_catalog.regexp_replace(
    pg_catalog.regexp_replace(
        pg_catalog.regexp_replace(
            pg_catalog.regexp_replace(
                pg_catalog.translate(
                    pg_catalog.lower(
                        pg_catalog.regexp_replace(
                            pg_catalog.normalize(name, 'NFKC'),
                            '[[:space:]\u200b\u200c\u200d\u2060\ufeff]+', '', 'g')),
                    '【】〔〕〖〗[]「」『』"“”',
                    '()()()()'),
                '\(\)', '', 'g'),
            '^(?:\((?:' || pg_catalog.array_to_string(enterprise._name_decorations(), '|')
                || ')\)[-_—–:·]*|(?:' || pg_catalog.array_to_string(enterprise._name_decorations(), '|')
                || ')[-_—–:·]+)+',
            ''),
        '(?:[-_—–:·]*\((?:' || pg_catalog.array_to_string(enterprise._name_decorations(), '|')
            || ')\)|[-_—–:·]*(?:' || pg_catalog.array_to_string(enterprise._name_decorations(), '|')
            || ')|[-—–.。]|\(\))+$',
        ''),
    '^(?:null|none|nan|n/a|#n/a|空白|空|无|/)$',
    '');

COMMENT ON FUNCTION enterprise.normalize_name(text) IS
    'Normalizes a customer or account name into its lookup key: NFKC, no whitespace, '
    'case-folded, quotes dropped, brackets unified, status decorations and trailing '
    'punctuation stripped, placeholders -> ''''. NULL stays NULL. Raises nothing.';

REVOKE ALL ON FUNCTION enterprise.normalize_name(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION enterprise.normalize_name(text)
    TO enrichment_reader, enrichment_worker, enrichment_admin;

COMMIT;
