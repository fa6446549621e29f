-- Deploy company_enrichment:function_lookup_company_ids to pg
-- (reworked after v0.2.1, 0.3, issue 12: each distinct name of a batch is
-- normalized and probed once, not once per record; the same rows)
-- requires: function_lookup_company_ids@v0.2.1
-- requires: function_normalize_name

BEGIN;

SET LOCAL ROLE enrichment_owner;

-- Private, read-only core of resolution: one row per input record with the
-- mapping it hits (if any) and the keys the writing steps need. Set-based:
-- the records are unnested and probed with index lookups, evaluated lazily
-- (COALESCE stops at the first hit, a NULL key costs no probe), in this order:
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
-- both build on it, so they never disagree; explain_company_id reads it too.
--
-- Pipelines repeat names (every month, product and plan of a customer), so
-- since 0.3 the work that depends only on a name is done once per distinct
-- name of the batch, then joined back to the records (hash joins: the callers
-- run it with enable_nestloop = off):
--   names:    each distinct customer name of the records no code resolved,
--             normalized once;
--   keys:     each distinct key, probed once: the curated name, the learned
--             name (when no curated one), the queue (when neither);
--   accounts: each distinct account name of the records that neither a code
--             nor a curated name resolved, normalized and probed once.
-- Per record are left the code probes (plan, account, hardcode) and the
-- record's TEMP key. What a record gets is what the 0.2.1 body gave it: the
-- same probes in the same order, only shared between records with the same
-- name (pyclient/tests/test_distinct_names.py compares the two).
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
    WITH
    -- 1. the records, codes trimmed; 2. plan -> account -> hardcode (plan code)
    records AS MATERIALIZED (
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
            SELECT u.ord AS ordinal,
                   NULLIF(pg_catalog.btrim(u.plan_code), '') AS plan_key,
                   NULLIF(pg_catalog.btrim(u.account_number), '') AS account_key,
                   u.customer_name AS raw_name,
                   u.account_name
              FROM ROWS FROM (pg_catalog.unnest(_lookup_company_ids.plan_codes),
                              pg_catalog.unnest(_lookup_company_ids.customer_names),
                              pg_catalog.unnest(_lookup_company_ids.account_names),
                              pg_catalog.unnest(_lookup_company_ids.account_numbers))
                   WITH ORDINALITY AS u(plan_code, customer_name, account_name, account_number, ord)
            OFFSET 0
          ) AS i
    ),
    -- 3a. each distinct customer name no code resolved, normalized once
    names AS MATERIALIZED (
        SELECT d.raw_name, NULLIF(enterprise.normalize_name(d.raw_name), '') AS name_key
          FROM (SELECT DISTINCT r.raw_name FROM records AS r
                 WHERE r.code_hit IS NULL AND r.raw_name IS NOT NULL) AS d
    ),
    -- 3b. each distinct key probed once: curated name, then learned name, then
    -- the queue (only what a record left unresolved by both would read)
    keys AS MATERIALIZED (
        SELECT h.*,
               CASE WHEN h.name_hit IS NULL AND h.learned_hit IS NULL THEN
                   EXISTS (SELECT 1 FROM enterprise.lookup_requests AS q
                            WHERE q.normalized_name = h.name_key AND q.status = 'done' AND q.outcome = 'not_found'
                              AND q.completed_at > pg_catalog.now()
                                  -- the settings row by its key: an index probe even under
                                  -- enable_seqscan = off, whose penalty would otherwise be
                                  -- charged to every per-name probe and make the planner
                                  -- read every recent not_found answer into a hash instead
                                  - (SELECT c.negative_cache_period FROM enterprise.queue_settings AS c
                                      WHERE c.singleton))
                   -- a key too long to cache cannot usefully be looked up
                   OR pg_catalog.length(h.name_key) > 255
               END AS key_temp_by_name,
               CASE WHEN h.name_hit IS NULL AND h.learned_hit IS NULL THEN
                   COALESCE((SELECT q.id FROM enterprise.lookup_requests AS q
                              WHERE q.normalized_name = h.name_key AND q.status IN ('pending', 'processing')),
                            -- waiting for a person: not queued again meanwhile
                            (SELECT q.id FROM enterprise.lookup_requests AS q
                              WHERE q.normalized_name = h.name_key AND q.status = 'review'))
               END AS key_live_id,
               CASE WHEN h.name_hit IS NULL AND h.learned_hit IS NULL THEN
                   (SELECT q.id FROM enterprise.lookup_requests AS q
                     WHERE q.normalized_name = h.name_key AND q.status = 'failed'
                     ORDER BY q.id DESC LIMIT 1)
               END AS key_failed_id
          FROM (
            SELECT g.name_key, g.name_hit,
                   CASE WHEN g.name_hit IS NULL THEN
                      (SELECT ROW(m.canonical_id, m.source, m.match_type)::enterprise._mapping_hit
                         FROM enterprise.company_mapping AS m
                        WHERE m.match_type = 'name' AND m.lookup_key = g.name_key AND m.source <> 'internal'
                        LIMIT 1)
                   END AS learned_hit
              FROM (
                SELECT k.name_key,
                       (SELECT ROW(m.canonical_id, m.source, m.match_type)::enterprise._mapping_hit
                          FROM enterprise.company_mapping AS m
                         WHERE m.match_type = 'name' AND m.lookup_key = k.name_key AND m.source = 'internal'
                          ORDER BY m.updated_at DESC, m.alias_name
                         LIMIT 1) AS name_hit
                  FROM (SELECT DISTINCT n.name_key FROM names AS n WHERE n.name_key IS NOT NULL) AS k
                OFFSET 0
              ) AS g
            OFFSET 0
          ) AS h
    ),
    -- each record with its name's key and probes
    named AS MATERIALIZED (
        SELECT r.ordinal, r.plan_key, r.account_key, r.raw_name, r.account_name,
               COALESCE(r.code_hit, k.name_hit) AS name_hit,
               n.name_key, k.learned_hit, k.key_temp_by_name, k.key_live_id, k.key_failed_id
          FROM records AS r
          LEFT JOIN names AS n ON r.code_hit IS NULL AND n.raw_name = r.raw_name
          LEFT JOIN keys AS k ON k.name_key = n.name_key
    ),
    -- 4. each distinct account name of the records neither a code nor a
    -- curated name resolved, normalized and probed once
    accounts AS MATERIALIZED (
        SELECT a.account_name, a.account_name_key,
               CASE WHEN a.account_name_key IS NOT NULL THEN
                  (SELECT ROW(m.canonical_id, m.source, m.match_type)::enterprise._mapping_hit
                     FROM enterprise.company_mapping AS m
                    WHERE m.match_type = 'account_name' AND m.lookup_key = a.account_name_key AND m.source = 'internal'
                     ORDER BY m.updated_at DESC, m.alias_name
                    LIMIT 1)
               END AS account_hit
          FROM (
            SELECT d.account_name, NULLIF(enterprise.normalize_name(d.account_name), '') AS account_name_key
              FROM (SELECT DISTINCT x.account_name FROM named AS x
                     WHERE x.name_hit IS NULL AND x.account_name IS NOT NULL) AS d
            OFFSET 0
          ) AS a
    )
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
               pg_catalog.btrim(k.raw_name) AS customer_name,
               CASE WHEN k.hit IS NULL AND k.name_key IS NOT NULL THEN k.key_temp_by_name END AS temp_by_name,
               CASE WHEN k.hit IS NULL AND k.name_key IS NOT NULL THEN k.key_live_id END AS live_id,
               CASE WHEN k.hit IS NULL AND k.name_key IS NOT NULL THEN k.key_failed_id END AS failed_id
          FROM (
            SELECT x.ordinal, x.plan_key, x.account_key, x.raw_name, x.name_key,
                   x.key_temp_by_name, x.key_live_id, x.key_failed_id,
                   CASE WHEN x.name_hit IS NULL THEN a.account_name_key END AS account_name_key,
                   COALESCE(x.name_hit, a.account_hit, x.learned_hit) AS hit
              FROM named AS x
              LEFT JOIN accounts AS a ON x.name_hit IS NULL AND a.account_name = x.account_name
            OFFSET 0
          ) AS k
        OFFSET 0
      ) AS s;
END;

COMMENT ON FUNCTION enterprise._lookup_company_ids(text[], text[], text[], text[]) IS
    'Private: read-only mapping probes and queue state behind resolve_company_ids and preview_company_ids '
    '(each distinct name of a batch normalized and probed once).';

REVOKE ALL ON FUNCTION enterprise._lookup_company_ids(text[], text[], text[], text[]) FROM PUBLIC;

COMMIT;
