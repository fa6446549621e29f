-- Deploy company_enrichment:function_normalize_name to pg
-- requires: function_normalize_name@v0.1.0
-- requires: table_company_mapping
-- requires: table_lookup_requests
-- requires: table_temp_id_assignments
-- requires: function_mapping_key
-- requires: function_name_temp_key
-- requires: function_short_temp_key
--
-- Reworked after v0.1.0: empty brackets are removed until none are left. One
-- pass of replace() turned "(())a" into "()a", which normalizes to "a", so
-- the function was not idempotent (SQL review, item 5). The change also
-- recomputes every stored key the new rule changes (house style, Migrations);
-- see the second half of this script.

BEGIN;

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


-- ---------------------------------------------------------------------------
-- Recompute the stored keys the new rule changes. A key changes only if the
-- old key still contained "()" (elsewhere the two rules agree), which is a
-- cheap filter; and the new key of a name is normalize_name(old key), as the
-- new function is idempotent and finishes what the old one began.
--
-- Writers wait while this runs (readers do not), so no worker still running
-- the old code writes an old-style key behind our back. Workers may keep
-- running: their next call after COMMIT uses the new function.
LOCK TABLE enterprise.company_mapping, enterprise.lookup_requests, enterprise.temp_id_assignments
    IN SHARE ROW EXCLUSIVE MODE;

-- 1. company_mapping.lookup_key, a stored generated column: an UPDATE of the
--    row recomputes it.
CREATE TEMP TABLE _normalize_mapping_rekey ON COMMIT DROP AS
SELECT m.alias_name, m.match_type, m.source, m.updated_at,
       enterprise._mapping_key(m.alias_name, m.match_type) AS new_key
  FROM enterprise.company_mapping AS m
 WHERE m.match_type IN ('name', 'account_name')
   AND pg_catalog.strpos(m.lookup_key, '()') > 0;

-- A curated alias whose key becomes '' (nothing but empty brackets,
-- placeholders or status words) can no longer be stored (lookup_key <> '')
-- and curated rows are never deleted for the curator: refuse, and name them.
DO $$
DECLARE
    _n    bigint;
    _some text;
BEGIN
    SELECT pg_catalog.count(*),
           pg_catalog.string_agg(pg_catalog.format('%s %L', r.match_type, r.alias_name), ', ')
      INTO _n, _some
      FROM (SELECT r.match_type, r.alias_name
              FROM _normalize_mapping_rekey AS r
             WHERE r.new_key = '' AND r.source = 'internal'
             ORDER BY r.match_type, r.alias_name) AS r;
    IF _n > 0 THEN
        RAISE EXCEPTION USING
            ERRCODE = 'check_violation',
            MESSAGE = pg_catalog.format('%s curated mapping(s) would have an empty lookup key under the new normalize_name', _n),
            DETAIL  = 'aliases: ' || pg_catalog.left(_some, 2000),
            HINT    = 'These aliases name no company once nested empty brackets are removed; delete or rename '
                      'them in enterprise.company_mapping, then deploy again.';
    END IF;
END;
$$;

-- Learned rows (source <> 'internal', always match_type 'name') are only a
-- cache of EQC answers: one whose key becomes '' is dropped, and where several
-- would share a key (company_mapping_learned_key allows one) the most recently
-- updated one stays and the others are dropped. The next lookup of a dropped
-- name asks EQC again or hits the row that stayed.
DELETE FROM enterprise.company_mapping AS m
 USING (
    SELECT c.alias_name, c.match_type, c.new_key,
           pg_catalog.row_number() OVER (PARTITION BY c.new_key ORDER BY c.updated_at DESC, c.alias_name) AS nth
      FROM (
        -- learned rows whose key changes...
        SELECT r.alias_name, r.match_type, r.new_key, r.updated_at
          FROM _normalize_mapping_rekey AS r
         WHERE r.source <> 'internal'
        UNION ALL
        -- ...and learned rows that already hold one of their new keys
        SELECT o.alias_name, o.match_type, o.lookup_key, o.updated_at
          FROM enterprise.company_mapping AS o
         WHERE o.match_type = 'name' AND o.source <> 'internal'
           AND o.lookup_key IN (SELECT r.new_key FROM _normalize_mapping_rekey AS r WHERE r.source <> 'internal')
      ) AS c
 ) AS d
 WHERE m.alias_name = d.alias_name AND m.match_type = d.match_type
   AND (d.new_key = '' OR d.nth > 1);

UPDATE enterprise.company_mapping AS m
   SET alias_name = m.alias_name  -- recomputes lookup_key; updated_at stays: nothing was learned
  FROM _normalize_mapping_rekey AS r
 WHERE m.alias_name = r.alias_name AND m.match_type = r.match_type
   AND m.lookup_key IS DISTINCT FROM r.new_key;

-- 2. lookup_requests.normalized_name, set at insert to normalize_name(name).
--    name may be the first 255 characters of a longer spelling, so the new
--    key is computed from the old key, not from name.
--    A key that would become '' is left alone (normalized_name <> ''): the
--    request was made under the old rule; a live one is still looked up, a
--    settled one only ages out.
--    A live (pending/processing) request whose new key another live request
--    already holds, or that shares its new key with a live request of lower
--    id, keeps its old key (lookup_requests_active_name_key allows one live
--    request per key): it is still claimed and answered as before, and the
--    answer is cached under the name's new key; only the request row keeps
--    the old spelling of its key until it is pruned.
UPDATE enterprise.lookup_requests AS q
   SET normalized_name = r.new_key
  FROM (
    SELECT c.id, c.live, c.new_key,
           pg_catalog.row_number() OVER (PARTITION BY c.new_key, c.live ORDER BY c.id) AS nth
      FROM (
        SELECT q2.id, q2.status IN ('pending', 'processing') AS live,
               enterprise.normalize_name(q2.normalized_name) AS new_key
          FROM enterprise.lookup_requests AS q2
         WHERE pg_catalog.strpos(q2.normalized_name, '()') > 0
      ) AS c
 ) AS r
 WHERE q.id = r.id
   AND r.new_key <> ''
   AND (NOT r.live
        OR (r.nth = 1
            AND NOT EXISTS (SELECT 1 FROM enterprise.lookup_requests AS o
                             WHERE o.normalized_name = r.new_key AND o.status IN ('pending', 'processing'))));

-- 3. temp_id_assignments.temp_key. Two kinds of key hold a normalized name:
--      name<US>normalize_name(customer name)            (_name_temp_key)
--      record<US>plan<US>account<US>normalize_name(account name)
--    both through _short_temp_key. A row is moved to its new key so that the
--    name keeps its TEMP id, unless
--      - the key is shortened (first 200 characters, <US>md5:..., made from a
--        key over 1,000 bytes): the whole name is not stored, so the new key
--        cannot be computed; the row stays, and that name gets a new TEMP id
--        the next time it is resolved;
--      - a record key has more than three <US> (a code or the account name
--        holds one), so its parts cannot be told apart: it stays likewise;
--      - the new key is already taken: the name (in its other spelling)
--        already has a TEMP id and keeps it; the old row stays, unused;
--      - several old keys would move to one new key: the oldest assignment
--        (first created, then lowest TEMP id) moves, the others stay, unused;
--      - the name part becomes '' (the name would no longer be keyed by it).
--    Unused rows are kept, not deleted: their TEMP ids were handed out.
CREATE TEMP TABLE _normalize_temp_rekey ON COMMIT DROP AS
SELECT t.temp_key, t.temp_id, t.created_at,
       CASE WHEN pg_catalog.left(t.temp_key, 5) = 'name' || pg_catalog.chr(31)
            THEN enterprise._name_temp_key(
                     NULLIF(enterprise.normalize_name(pg_catalog.substr(t.temp_key, 6)), ''))
            WHEN pg_catalog.left(t.temp_key, 7) = 'record' || pg_catalog.chr(31)
                 AND pg_catalog.length(t.temp_key)
                     - pg_catalog.length(pg_catalog.replace(t.temp_key, pg_catalog.chr(31), '')) = 3
                 AND pg_catalog.strpos(pg_catalog.split_part(t.temp_key, pg_catalog.chr(31), 4), '()') > 0
            THEN (SELECT CASE WHEN p.plan_key <> '' OR p.account_key <> '' OR p.account_name_key <> ''
                              THEN enterprise._short_temp_key(
                                       'record' || pg_catalog.chr(31) || p.plan_key
                                       || pg_catalog.chr(31) || p.account_key
                                       || pg_catalog.chr(31) || p.account_name_key)
                         END
                    FROM (SELECT pg_catalog.split_part(t.temp_key, pg_catalog.chr(31), 2) AS plan_key,
                                 pg_catalog.split_part(t.temp_key, pg_catalog.chr(31), 3) AS account_key,
                                 enterprise.normalize_name(
                                     pg_catalog.split_part(t.temp_key, pg_catalog.chr(31), 4)) AS account_name_key
                         ) AS p)
       END AS new_key
  FROM enterprise.temp_id_assignments AS t
 WHERE pg_catalog.strpos(t.temp_key, '()') > 0
   -- not a shortened key
   AND NOT (pg_catalog.length(t.temp_key) = 237
            AND t.temp_key ~ (pg_catalog.chr(31) || 'md5:[0-9a-f]{32}$'));

UPDATE enterprise.temp_id_assignments AS t
   SET temp_key = r.new_key
  FROM (
    SELECT c.temp_key, c.new_key,
           pg_catalog.row_number() OVER (PARTITION BY c.new_key ORDER BY c.created_at, c.temp_id) AS nth
      FROM _normalize_temp_rekey AS c
     WHERE c.new_key IS NOT NULL AND c.new_key <> c.temp_key
 ) AS r
 WHERE t.temp_key = r.temp_key
   AND r.nth = 1
   AND NOT EXISTS (SELECT 1 FROM enterprise.temp_id_assignments AS o WHERE o.temp_key = r.new_key);

COMMIT;
