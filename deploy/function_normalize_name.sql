-- Deploy company_enrichment:function_normalize_name to pg
-- requires: function_normalize_name_full
--
-- Reworked after v0.2.1 (0.3, issue 12): the same results, cheaper. The
-- 0.2.1 plpgsql body is _normalize_name_full now; normalize_name is one SQL
-- expression that PostgreSQL inlines into the query calling it (LANGUAGE sql,
-- a SQL-standard body, not STRICT, no SET clause: each of those would stop
-- the inlining), with the decoration list and edges folded into constants
-- when the calling query is planned. No stored key changes, so none is recomputed.

BEGIN;

SET LOCAL ROLE enrichment_owner;

-- The one definition of "same customer name". Rules, in order (all of them
-- in _normalize_name_full):
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
--
-- The fast path: a name made only of ASCII letters and digits and CJK
-- ideographs (U+4E00..U+9FFF) that does not end with a decoration and is not
-- a placeholder (none is longer than 6 bytes) is lower(name). For such a name
-- every other rule is the identity: these characters are NFKC-stable and
-- compose with nothing (2, 9); none is whitespace in any locale (3), a
-- bracket or a quote mark (5, 6); the start pattern (7) needs a bracket or a
-- separator, which such a name has none of; the end pattern (8) can only
-- match a decoration at the very end (its brackets, separators and
-- punctuation are absent), and the decorations are two or three ideographs
-- (pgtests/function_normalize_name.sql checks that), which lower() leaves
-- alone, so comparing the last two and three characters with the list
-- decides it. Checking the last character against the edges first spares
-- that comparison for nearly every name ("...公司").
-- Most names take this path ("上海科技第12号有限公司", "ABC科技有限公司",
-- "上海实业"); the rest (spaces, brackets, punctuation, full-width or
-- compatibility characters, a decoration at the end, a placeholder) go to
-- _normalize_name_full.
CREATE OR REPLACE FUNCTION enterprise.normalize_name(name text)
RETURNS text
LANGUAGE sql
IMMUTABLE
PARALLEL SAFE
RETURN CASE
    WHEN name ~ '^[0-9A-Za-z\u4e00-\u9fff]+$'
     AND (pg_catalog.strpos((enterprise._name_decoration_edges())[2], pg_catalog.right(name, 1)) = 0
          OR NOT (pg_catalog.right(name, 2) = ANY (enterprise._name_decorations())
                  OR pg_catalog.right(name, 3) = ANY (enterprise._name_decorations())))
     AND (pg_catalog.octet_length(name) > 6
          OR pg_catalog.lower(name) NOT IN ('null', 'none', 'nan', '空白', '空', '无'))
    THEN pg_catalog.lower(name)
    ELSE enterprise._normalize_name_full(name)
END;

COMMENT ON FUNCTION enterprise.normalize_name(text) IS
    'Normalizes a customer or account name into its lookup key: NFKC, no whitespace, '
    'case-folded, quotes dropped, brackets unified, status decorations and trailing '
    'punctuation stripped, placeholders -> ''''. NULL stays NULL. Raises nothing.';

REVOKE ALL ON FUNCTION enterprise.normalize_name(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION enterprise.normalize_name(text)
    TO enrichment_reader, enrichment_worker, enrichment_admin;

COMMIT;
