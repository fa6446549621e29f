-- Deploy company_enrichment:function_name_decoration_patterns to pg
-- requires: function_name_decorations

BEGIN;

SET LOCAL ROLE enrichment_owner;

-- Private: the two regular expressions _normalize_name_full strips status
-- decorations with, written out once here rather than built from
-- _name_decorations() for every name (four array_to_string calls, about a
-- quarter of a decorated name's cost). [1] decorations at the start: "(D)"
-- then separators, or D then at least one separator, repeated; [2] at the
-- end: separators then "(D)", separators then D, a dash or a full stop, or
-- "()", repeated. D is _name_decorations() joined with "|"; a pgTAP test
-- (function_normalize_name.sql) derives both from the list, so a change to
-- the list that is not made here too fails the tests.
CREATE FUNCTION enterprise._name_decoration_patterns()
RETURNS text[]
LANGUAGE plpgsql
IMMUTABLE
PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    RETURN ARRAY[
        '^(?:\((?:已转出|转出|已转入|转入|已终止|终止|已注销|注销|已吊销|吊销|已撤销|撤销|已解散|解散|已清算|清算中|清算|已破产|破产|已迁出|迁出|已停业|停业|已歇业|歇业|已关闭|关闭|已销户|销户|已冻结|冻结|已作废|作废|已失效|失效|已过户|过户|已退保|退保|已停用|停用|已合并|被合并|已退出|退出|存续|在业|在册)\)[-_—–:·]*|(?:已转出|转出|已转入|转入|已终止|终止|已注销|注销|已吊销|吊销|已撤销|撤销|已解散|解散|已清算|清算中|清算|已破产|破产|已迁出|迁出|已停业|停业|已歇业|歇业|已关闭|关闭|已销户|销户|已冻结|冻结|已作废|作废|已失效|失效|已过户|过户|已退保|退保|已停用|停用|已合并|被合并|已退出|退出|存续|在业|在册)[-_—–:·]+)+',
        '(?:[-_—–:·]*\((?:已转出|转出|已转入|转入|已终止|终止|已注销|注销|已吊销|吊销|已撤销|撤销|已解散|解散|已清算|清算中|清算|已破产|破产|已迁出|迁出|已停业|停业|已歇业|歇业|已关闭|关闭|已销户|销户|已冻结|冻结|已作废|作废|已失效|失效|已过户|过户|已退保|退保|已停用|停用|已合并|被合并|已退出|退出|存续|在业|在册)\)|[-_—–:·]*(?:已转出|转出|已转入|转入|已终止|终止|已注销|注销|已吊销|吊销|已撤销|撤销|已解散|解散|已清算|清算中|清算|已破产|破产|已迁出|迁出|已停业|停业|已歇业|歇业|已关闭|关闭|已销户|销户|已冻结|冻结|已作废|作废|已失效|失效|已过户|过户|已退保|退保|已停用|停用|已合并|被合并|已退出|退出|存续|在业|在册)|[-—–.。]|\(\))+$'
    ]::pg_catalog.text[];
END;
$$;

COMMENT ON FUNCTION enterprise._name_decoration_patterns() IS
    'Private: normalize_name''s decoration patterns (start, end), the list of _name_decorations written out.';

REVOKE ALL ON FUNCTION enterprise._name_decoration_patterns() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION enterprise._name_decoration_patterns()
    TO enrichment_reader, enrichment_worker, enrichment_admin;

COMMIT;
