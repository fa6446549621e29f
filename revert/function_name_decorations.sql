-- Revert company_enrichment:function_name_decorations from pg: back to the v0.3.0 body (a SQL function).
-- The v0.3.0 deploy script, run as the owner.
-- requires: schema_enterprise

BEGIN;

SET LOCAL ROLE enrichment_owner;

-- The one list of status decorations that normalize_name strips from either
-- end of a customer name ("中国平安-已转出", "（注销）中国平安"). Keep entries
-- free of regular-expression metacharacters: normalize_name joins them into a
-- pattern. Changing this list changes stored keys: a change that edits it must
-- also recompute enterprise.company_mapping.lookup_key (see README).
CREATE OR REPLACE FUNCTION enterprise._name_decorations()
RETURNS text[]
LANGUAGE sql
IMMUTABLE
PARALLEL SAFE
RETURN ARRAY[
    '已转出', '转出', '已转入', '转入',
    '已终止', '终止', '已注销', '注销',
    '已吊销', '吊销', '已撤销', '撤销',
    '已解散', '解散', '已清算', '清算中', '清算',
    '已破产', '破产', '已迁出', '迁出',
    '已停业', '停业', '已歇业', '歇业',
    '已关闭', '关闭', '已销户', '销户',
    '已冻结', '冻结', '已作废', '作废',
    '已失效', '失效', '已过户', '过户',
    '已退保', '退保', '已停用', '停用',
    '已合并', '被合并', '已退出', '退出',
    '存续', '在业', '在册'
]::text[];

COMMENT ON FUNCTION enterprise._name_decorations() IS
    'Private: status decorations that normalize_name strips from either end of a name.';

-- normalize_name runs as its caller, so its callers need this one too.
REVOKE ALL ON FUNCTION enterprise._name_decorations() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION enterprise._name_decorations()
    TO enrichment_reader, enrichment_worker, enrichment_admin;

COMMIT;
