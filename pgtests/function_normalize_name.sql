-- normalize_name: contract and the table of inputs and expected keys.
BEGIN;
SELECT plan(16);

SELECT has_function('enterprise', 'normalize_name', ARRAY['text'], 'normalize_name(text) exists');
SELECT function_returns('enterprise', 'normalize_name', ARRAY['text'], 'text', 'normalize_name returns text');
SELECT volatility_is('enterprise', 'normalize_name', ARRAY['text'], 'immutable', 'normalize_name is IMMUTABLE');
SELECT isnt_definer('enterprise', 'normalize_name', ARRAY['text'], 'normalize_name runs as its caller');
SELECT function_privs_are('enterprise', 'normalize_name', ARRAY['text'], 'public', ARRAY[]::text[], 'PUBLIC cannot call normalize_name');
SELECT function_privs_are('enterprise', 'normalize_name', ARRAY['text'], 'enrichment_reader', ARRAY['EXECUTE'], 'reader can call normalize_name');
SELECT function_privs_are('enterprise', 'normalize_name', ARRAY['text'], 'enrichment_worker', ARRAY['EXECUTE'], 'worker can call normalize_name');
SELECT function_privs_are('enterprise', 'normalize_name', ARRAY['text'], 'enrichment_admin', ARRAY['EXECUTE'], 'admin can call normalize_name');
SELECT is((SELECT count(*) FROM unnest(enterprise._name_decorations()) AS d WHERE length(d) NOT BETWEEN 2 AND 3), 0::bigint,
          'every decoration is two or three characters (the fast path of normalize_name compares the last two and three)');

-- _name_decoration_edges writes its two sets out (since 0.4, for speed): exactly the first and the last characters
-- of the decorations, plus the brackets and punctuation the strip patterns remove.
SELECT is((SELECT string_agg(c, '' ORDER BY c) FROM regexp_split_to_table((enterprise._name_decoration_edges())[1], '') AS c),
          (SELECT string_agg(c, '' ORDER BY c)
             FROM (SELECT left(d, 1) FROM unnest(enterprise._name_decorations()) AS d UNION SELECT '(') AS x(c)),
          'the start edges are the first characters of the decorations, and "("');
SELECT is((SELECT string_agg(c, '' ORDER BY c) FROM regexp_split_to_table((enterprise._name_decoration_edges())[2], '') AS c),
          (SELECT string_agg(c, '' ORDER BY c)
             FROM (SELECT right(d, 1) FROM unnest(enterprise._name_decorations()) AS d
                   UNION SELECT regexp_split_to_table(')-—–.。', '')) AS x(c)),
          'the end edges are the last characters of the decorations, and ")-—–.。"');
-- _name_decoration_patterns writes the two strip patterns out (since 0.5, for speed): exactly the decorations joined.
SELECT is((enterprise._name_decoration_patterns())[1],
          '^(?:\((?:' || array_to_string(enterprise._name_decorations(), '|') || ')\)[-_—–:·]*|(?:'
          || array_to_string(enterprise._name_decorations(), '|') || ')[-_—–:·]+)+',
          'the start pattern: "(D)" and separators, or D and at least one separator, repeated, D the decorations');
SELECT is((enterprise._name_decoration_patterns())[2],
          '(?:[-_—–:·]*\((?:' || array_to_string(enterprise._name_decorations(), '|') || ')\)|[-_—–:·]*(?:'
          || array_to_string(enterprise._name_decorations(), '|') || ')|[-—–.。]|\(\))+$',
          'the end pattern: separators and "(D)", separators and D, a dash or full stop, or "()", repeated');

CREATE TEMP TABLE cases (input text, expected text, rule text) ON COMMIT DROP;
INSERT INTO cases VALUES
    -- NULL and empties
    (NULL, NULL, 'NULL stays NULL'),
    ('', '', 'empty stays empty'),
    ('   ', '', 'blank is empty'),
    (E'\t\n ', '', 'tabs and newlines are whitespace'),
    -- NFKC
    ('ＡＢＣ有限公司', 'abc有限公司', 'full-width letters to half width'),
    ('１２３４５', '12345', 'full-width digits to half width'),
    ('中国平安（集团）', '中国平安(集团)', 'full-width brackets to half width, enterprise bracket kept'),
    ('ｈｅｌｌｏ　ｗｏｒｌｄ', 'helloworld', 'ideographic space and full-width letters'),
    ('㈱東京', '(株)東京', 'NFKC expands compatibility characters'),
    -- whitespace
    (' 中国平安 ', '中国平安', 'leading and trailing spaces'),
    ('中国 平安', '中国平安', 'inner space'),
    ('中国　平安', '中国平安', 'ideographic space U+3000'),
    (E'中国\u00a0平安', '中国平安', 'no-break space'),
    (E'中国\u200b平安', '中国平安', 'zero-width space'),
    (E'\ufeff中国平安', '中国平安', 'byte-order mark'),
    ('Ping An  Insurance', 'pinganinsurance', 'English words lose their spaces'),
    -- case-folding
    ('ABC Company', 'abccompany', 'ASCII upper case folds'),
    ('AbC', 'abc', 'mixed case folds'),
    ('ÉCOLE', 'école', 'accented capital folds'),
    ('a´', 'á', 'a spacing accent becomes a combining one and composes once the space is gone'),
    (E'a\u200b\u0301', 'á', 'a combining mark after a zero-width space composes with the letter'),
    (E'A「\u0300', 'à', 'a combining mark after a dropped quote mark composes with the letter'),
    -- quote marks
    ('「中国平安」', '中国平安', 'corner brackets dropped'),
    ('『中国平安』', '中国平安', 'white corner brackets dropped'),
    ('"中国平安"', '中国平安', 'ASCII double quotes dropped'),
    ('“中国平安”', '中国平安', 'curly double quotes dropped'),
    ('＂中国平安＂', '中国平安', 'full-width double quotes dropped'),
    ('McDonald''s', 'mcdonald''s', 'apostrophe kept'),
    -- placeholders
    ('null', '', 'null placeholder'),
    ('NULL', '', 'NULL placeholder, any case'),
    ('None', '', 'None placeholder'),
    ('N/A', '', 'N/A placeholder'),
    ('n / a', '', 'n / a with spaces'),
    ('nan', '', 'pandas nan placeholder'),
    ('#N/A', '', 'spreadsheet #N/A'),
    ('空白', '', '空白 placeholder'),
    ('无', '', '无 placeholder'),
    ('空', '', '空 placeholder'),
    ('-', '', 'single dash'),
    ('--', '', 'double dash'),
    ('—', '', 'em dash'),
    ('——', '', 'double em dash'),
    ('/', '', 'slash'),
    ('无限极（中国）有限公司', '无限极(中国)有限公司', 'a name starting with 无 is not a placeholder'),
    ('Nonesuch Ltd', 'nonesuchltd', 'a name starting with none is not a placeholder'),
    -- status decorations at the end
    ('中国平安-已转出', '中国平安', 'suffix after dash (original-system example)'),
    ('中国平安已转出', '中国平安', 'bare suffix'),
    ('中国平安（已转出）', '中国平安', 'suffix in full-width brackets'),
    ('中国平安(转出)', '中国平安', 'suffix in ASCII brackets'),
    ('中国平安【终止】', '中国平安', 'suffix in lenticular brackets'),
    ('中国平安[注销]', '中国平安', 'suffix in square brackets'),
    ('中国平安_注销', '中国平安', 'suffix after underscore'),
    ('中国平安—已注销', '中国平安', 'suffix after em dash'),
    ('中国平安 - 吊销', '中国平安', 'suffix after spaced dash'),
    ('中国平安(已转出)(注销)', '中国平安', 'two suffix decorations'),
    ('中国平安-已转出。', '中国平安', 'decoration then trailing full stop'),
    ('上海某某有限公司（存续）', '上海某某有限公司', 'EQC status word in brackets'),
    -- status decorations at the start
    ('（已转出）中国平安', '中国平安', 'bracketed prefix (original-system example)'),
    ('(注销)中国平安', '中国平安', 'ASCII-bracketed prefix'),
    ('【已终止】中国平安', '中国平安', 'lenticular-bracketed prefix'),
    ('注销-中国平安', '中国平安', 'bare prefix followed by a dash'),
    ('已转出：中国平安', '中国平安', 'bare prefix followed by a colon'),
    ('转出口贸易有限公司', '转出口贸易有限公司', 'a bare prefix without separator is part of the name'),
    ('（已转出）中国平安-注销', '中国平安', 'decorations at both ends'),
    -- decorations alone
    ('已转出', '', 'a decoration alone is empty'),
    ('（注销）', '', 'a bracketed decoration alone is empty'),
    -- brackets
    ('abc（集团）公司', 'abc(集团)公司', 'enterprise-type bracket kept (original-system example)'),
    ('中国（北京）科技', '中国(北京)科技', 'place bracket kept (original-system example)'),
    ('某某（普通合伙）', '某某(普通合伙)', 'trailing enterprise-type bracket kept'),
    ('某某有限公司（北京）', '某某有限公司(北京)', 'trailing place bracket kept'),
    ('〔中国〕平安', '(中国)平安', 'tortoise-shell brackets unified'),
    ('中国平安［集团］', '中国平安(集团)', 'full-width square brackets unified'),
    ('中国平安()', '中国平安', 'trailing empty brackets'),
    ('中国平安（）', '中国平安', 'trailing empty full-width brackets'),
    ('中国()平安', '中国平安', 'inner empty brackets'),
    ('(())a', 'a', 'nested empty brackets at the start (review item 5: was ''()a'', not idempotent)'),
    ('中国（（））平安', '中国平安', 'nested empty full-width brackets inside'),
    ('【（）】中国平安', '中国平安', 'empty brackets of two kinds nested'),
    ('中国平安(())', '中国平安', 'nested empty brackets at the end'),
    ('((()))', '', 'only nested empty brackets is empty'),
    ('(())null', '', 'a placeholder behind nested empty brackets is a placeholder'),
    ('(( ))「」中国', '中国', 'brackets that are empty once the space and quotes are gone'),
    -- trailing punctuation
    ('中国平安。', '中国平安', 'trailing ideographic full stop'),
    ('中国平安.', '中国平安', 'trailing full stop'),
    ('中国平安-', '中国平安', 'trailing dash'),
    ('中国平安—', '中国平安', 'trailing em dash'),
    ('中国平安...', '中国平安', 'trailing ellipsis dots'),
    ('ABC Co., Ltd.', 'abcco.,ltd', 'English suffix keeps inner punctuation'),
    ('中国-平安', '中国-平安', 'inner dash kept'),
    -- the same customer, written many ways
    ('中国平安保险股份有限公司', '中国平安保险股份有限公司', 'plain name unchanged'),
    (' 中国平安保险股份有限公司（已转出） ', '中国平安保险股份有限公司', 'spaces and decoration'),
    ('「中国平安保险股份有限公司」-注销。', '中国平安保险股份有限公司', 'quotes, decoration, punctuation');

SELECT cmp_ok((SELECT count(*) FROM cases), '>=', 60::bigint, 'the table has at least 60 cases');

SELECT is_empty(
    $$SELECT rule, input, expected, enterprise.normalize_name(input) AS got
        FROM cases
       WHERE enterprise.normalize_name(input) IS DISTINCT FROM expected$$,
    'every case normalizes to its expected key');

SELECT is_empty(
    $$SELECT input FROM cases
       WHERE enterprise.normalize_name(enterprise.normalize_name(input))
             IS DISTINCT FROM enterprise.normalize_name(input)$$,
    'normalize_name is idempotent on every case');

SELECT * FROM finish();
ROLLBACK;
