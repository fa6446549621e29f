-- Verify company_enrichment:function_name_decoration_patterns on pg

BEGIN;

-- the constants are the patterns built from _name_decorations()
SELECT 1 / ((enterprise._name_decoration_patterns())[1]
            = '^(?:\((?:' || pg_catalog.array_to_string(enterprise._name_decorations(), '|') || ')\)[-_—–:·]*|(?:'
              || pg_catalog.array_to_string(enterprise._name_decorations(), '|') || ')[-_—–:·]+)+'
            AND (enterprise._name_decoration_patterns())[2]
            = '(?:[-_—–:·]*\((?:' || pg_catalog.array_to_string(enterprise._name_decorations(), '|')
              || ')\)|[-_—–:·]*(?:' || pg_catalog.array_to_string(enterprise._name_decorations(), '|')
              || ')|[-—–.。]|\(\))+$')::int;

ROLLBACK;
