-- Revert company_enrichment:function_lookup_company_ids from pg
-- (back to the 0.2.1 body: one normalization and one set of probes per record)
-- (reworked after v0.1.0: the negative-cache probe reads the settings row by its
-- key; a name under review is answered with its request, never queued again)
-- requires: table_company_mapping
-- requires: type_company_id_result
-- requires: table_lookup_requests
-- requires: table_queue_settings
-- requires: function_name_temp_key
-- requires: function_short_temp_key
-- requires: table_lookup_requests_review

BEGIN;

SET LOCAL ROLE enrichment_owner;

-- Private, read-only core of resolution: one row per input record with the
-- mapping it hits (if any) and the keys the writing steps need. Set-based:
-- the records are unnested and each is probed with up to six index lookups,
-- evaluated lazily (COALESCE stops at the first hit, a NULL key costs no
-- probe), in this order:
--   plan -> account -> hardcode (plan code) -> name -> account_name
--   (all curated), then a name learned from EQC.
-- A learned row is never preferred over any curated row. Among several curated
-- rows of one kind with the same key, the most recently updated wins.
-- For a record left with an unresolved customer name it also reports what the
-- lookup queue knows of that name:
--   temp_by_name: answer with a TEMP id keyed on the name (EQC found nothing
--                 within negative_cache_period, or its key is longer than 255
--                 characters and could not be cached, so a lookup is useless);
--   live_id:      its pending, processing or review request;
--   failed_id:    its newest failed request;
--   temp_key:     the temp_id_assignments key when the answer is a TEMP id
--                 (the record's fields, or the name), NULL otherwise.
-- resolve_company_ids (which writes) and preview_company_ids (which does not)
-- both build on it, so they never disagree.
CREATE OR REPLACE FUNCTION enterprise._lookup_company_ids(
    plan_codes      text[],
    customer_names  text[],
    account_names   text[],
    account_numbers text[])
RETURNS TABLE (
    ordinal      bigint,
    company_id   text,
    source       text,
    match_type   text,
    name_key     text,
    record_key   text,
    customer_name text,
    temp_by_name boolean,
    live_id      bigint,
    failed_id    bigint,
    temp_key     text)
LANGUAGE sql
STABLE
BEGIN ATOMIC
    -- Levels from the inside out, each ending in OFFSET 0 so that it is not
    -- flattened into the next: its expressions (normalize_name, the probes)
    -- then run once per record, not once per reference. A name is normalized
    -- only when no earlier kind resolved the record.
    SELECT s.*,
           CASE WHEN s.company_id IS NOT NULL THEN NULL
                WHEN s.name_key IS NULL THEN s.record_key
                WHEN s.temp_by_name THEN enterprise._name_temp_key(s.name_key)
           END AS temp_key
      FROM (
        SELECT k.ordinal,
               (k.hit).canonical_id AS company_id,
               (k.hit).source AS source,
               (k.hit).match_type AS match_type,
               k.name_key,
               CASE WHEN k.hit IS NULL AND k.name_key IS NULL
                     AND (k.plan_key IS NOT NULL OR k.account_key IS NOT NULL OR k.account_name_key IS NOT NULL)
                    THEN enterprise._short_temp_key(
                             'record' || pg_catalog.chr(31) || COALESCE(k.plan_key, '')
                             || pg_catalog.chr(31) || COALESCE(k.account_key, '')
                             || pg_catalog.chr(31) || COALESCE(k.account_name_key, ''))
               END AS record_key,
               k.customer_name,
               CASE WHEN k.hit IS NULL AND k.name_key IS NOT NULL THEN
                   EXISTS (SELECT 1 FROM enterprise.lookup_requests AS q
                            WHERE q.normalized_name = k.name_key AND q.status = 'done' AND q.outcome = 'not_found'
                              AND q.completed_at > pg_catalog.now()
                                  -- the settings row by its key: an index probe even under
                                  -- enable_seqscan = off, whose penalty would otherwise be
                                  -- charged to every per-name probe and make the planner
                                  -- read every recent not_found answer into a hash instead
                                  - (SELECT c.negative_cache_period FROM enterprise.queue_settings AS c
                                      WHERE c.singleton))
                   -- a key too long to cache cannot usefully be looked up
                   OR pg_catalog.length(k.name_key) > 255
               END AS temp_by_name,
               CASE WHEN k.hit IS NULL AND k.name_key IS NOT NULL THEN
                   COALESCE((SELECT q.id FROM enterprise.lookup_requests AS q
                              WHERE q.normalized_name = k.name_key AND q.status IN ('pending', 'processing')),
                            -- waiting for a person: not queued again meanwhile
                            (SELECT q.id FROM enterprise.lookup_requests AS q
                              WHERE q.normalized_name = k.name_key AND q.status = 'review'))
               END AS live_id,
               CASE WHEN k.hit IS NULL AND k.name_key IS NOT NULL THEN
                   (SELECT q.id FROM enterprise.lookup_requests AS q
                     WHERE q.normalized_name = k.name_key AND q.status = 'failed'
                     ORDER BY q.id DESC LIMIT 1)
               END AS failed_id
          FROM (
            -- 4. the account name, then a name learned from EQC
            SELECT a.*,
                   COALESCE(a.name_hit,
                            CASE WHEN a.account_name_key IS NOT NULL THEN
                               (SELECT ROW(m.canonical_id, m.source, m.match_type)::enterprise._mapping_hit
                                  FROM enterprise.company_mapping AS m
                                 WHERE m.match_type = 'account_name' AND m.lookup_key = a.account_name_key AND m.source = 'internal'
                                  ORDER BY m.updated_at DESC, m.alias_name
                                 LIMIT 1)
                            END,
                            CASE WHEN a.name_key IS NOT NULL THEN
                               (SELECT ROW(m.canonical_id, m.source, m.match_type)::enterprise._mapping_hit
                                  FROM enterprise.company_mapping AS m
                                 WHERE m.match_type = 'name' AND m.lookup_key = a.name_key AND m.source <> 'internal'
                                 LIMIT 1)
                            END) AS hit
              FROM (
                SELECT n.*,
                       CASE WHEN n.name_hit IS NULL THEN NULLIF(enterprise.normalize_name(n.account_name), '')
                       END AS account_name_key
                  FROM (
                    -- 3. the customer name (curated)
                    SELECT c.*,
                           COALESCE(c.code_hit,
                                    CASE WHEN c.name_key IS NOT NULL THEN
                                       (SELECT ROW(m.canonical_id, m.source, m.match_type)::enterprise._mapping_hit
                                          FROM enterprise.company_mapping AS m
                                         WHERE m.match_type = 'name' AND m.lookup_key = c.name_key AND m.source = 'internal'
                                          ORDER BY m.updated_at DESC, m.alias_name
                                         LIMIT 1)
                                    END) AS name_hit
                      FROM (
                        SELECT b.*,
                               CASE WHEN b.code_hit IS NULL THEN NULLIF(enterprise.normalize_name(b.raw_name), '')
                               END AS name_key
                          FROM (
                            -- 2. plan -> account -> hardcode (plan code)
                            SELECT i.*,
                                   COALESCE(CASE WHEN i.plan_key IS NOT NULL THEN
                                               (SELECT ROW(m.canonical_id, m.source, m.match_type)::enterprise._mapping_hit
                                                  FROM enterprise.company_mapping AS m
                                                 WHERE m.match_type = 'plan' AND m.lookup_key = i.plan_key AND m.source = 'internal'
                                                  ORDER BY m.updated_at DESC, m.alias_name
                                                 LIMIT 1)
                                            END,
                                            CASE WHEN i.account_key IS NOT NULL THEN
                                               (SELECT ROW(m.canonical_id, m.source, m.match_type)::enterprise._mapping_hit
                                                  FROM enterprise.company_mapping AS m
                                                 WHERE m.match_type = 'account' AND m.lookup_key = i.account_key AND m.source = 'internal'
                                                  ORDER BY m.updated_at DESC, m.alias_name
                                                 LIMIT 1)
                                            END,
                                            CASE WHEN i.plan_key IS NOT NULL THEN
                                               (SELECT ROW(m.canonical_id, m.source, m.match_type)::enterprise._mapping_hit
                                                  FROM enterprise.company_mapping AS m
                                                 WHERE m.match_type = 'hardcode' AND m.lookup_key = i.plan_key AND m.source = 'internal'
                                                  ORDER BY m.updated_at DESC, m.alias_name
                                                 LIMIT 1)
                                            END) AS code_hit
                              FROM (
                                -- 1. the records, codes trimmed
                                SELECT u.ord AS ordinal,
                                       NULLIF(pg_catalog.btrim(u.plan_code), '') AS plan_key,
                                       NULLIF(pg_catalog.btrim(u.account_number), '') AS account_key,
                                       u.customer_name AS raw_name,
                                       pg_catalog.btrim(u.customer_name) AS customer_name,
                                       u.account_name
                                  FROM ROWS FROM (pg_catalog.unnest(_lookup_company_ids.plan_codes),
                                                  pg_catalog.unnest(_lookup_company_ids.customer_names),
                                                  pg_catalog.unnest(_lookup_company_ids.account_names),
                                                  pg_catalog.unnest(_lookup_company_ids.account_numbers))
                                       WITH ORDINALITY AS u(plan_code, customer_name, account_name, account_number, ord)
                                OFFSET 0
                              ) AS i
                            OFFSET 0
                          ) AS b
                        OFFSET 0
                      ) AS c
                    OFFSET 0
                  ) AS n
                OFFSET 0
              ) AS a
            OFFSET 0
          ) AS k
        OFFSET 0
      ) AS s;
END;

COMMENT ON FUNCTION enterprise._lookup_company_ids(text[], text[], text[], text[]) IS
    'Private: read-only mapping probes and queue state behind resolve_company_ids and preview_company_ids.';

REVOKE ALL ON FUNCTION enterprise._lookup_company_ids(text[], text[], text[], text[]) FROM PUBLIC;

COMMIT;
