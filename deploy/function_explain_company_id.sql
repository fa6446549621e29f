-- Deploy company_enrichment:function_explain_company_id to pg
-- requires: function_preview_company_ids
-- requires: function_lookup_company_ids
-- requires: function_mapping_key
-- requires: table_company_mapping_confidence
-- requires: table_lookup_requests_review
-- requires: table_queue_settings

BEGIN;

-- "Why did this record get this id?": one row per step of the resolution
-- order, without writing anything (no request queued, no TEMP id minted).
--
--   1 plan, 2 account, 3 hardcode (the plan code), 4 name, 5 account_name
--   (curated mappings), 6 learned (a name learned from EQC), then 7 the final
--   step: queue (the customer name's lookup request) or temp_id (a TEMP id
--   keyed on the name or on the record).
--
-- The answer is not worked out again here: it is preview_company_ids's row for
-- the record (which builds on _lookup_company_ids, like resolve_company_ids),
-- so explain can never give another id than resolution. The row of the step
-- that gave it has answered = true and carries it (company_id, status).
--
-- What is computed here is the explanation of every step, including those
-- resolution never reached or that an earlier step shadowed: the key (the
-- mapping kind's lookup key, enterprise._mapping_key, so NULL when the input
-- is absent or blank), whether a mapping has that key (hit), and the mapping
-- row that answers for it. That probe mirrors _lookup_company_ids (curated:
-- source 'internal', newest updated_at first, then alias_name; learned: the
-- one non-curated name row); pgtests/function_explain_company_id.sql and
-- pyclient/tests/test_explain.py check that the answered step is always the
-- first step that hits and that its mapping gives the answer's id.
CREATE OR REPLACE FUNCTION enterprise.explain_company_id(
    plan_code      text DEFAULT NULL,
    customer_name  text DEFAULT NULL,
    account_name   text DEFAULT NULL,
    account_number text DEFAULT NULL)
RETURNS TABLE (
    step            integer,
    kind            text,
    lookup_key      text,
    hit             boolean,
    answered        boolean,
    alias_name      text,
    canonical_id    text,
    source          text,
    confidence      numeric,
    updated_at      timestamptz,
    request_id      bigint,
    request_status  text,
    request_outcome text,
    attempts        integer,
    next_attempt_at timestamptz,
    completed_at    timestamptz,
    last_error      text,
    temp_id         text,
    company_id      text,
    status          text,
    note            text)
LANGUAGE plpgsql
STABLE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET jit = off
AS $$
#variable_conflict use_column
BEGIN
    RETURN QUERY
    WITH keys AS (
        SELECT NULLIF(enterprise._mapping_key(explain_company_id.plan_code, 'plan'), '') AS plan_key,
               NULLIF(enterprise._mapping_key(explain_company_id.account_number, 'account'), '') AS account_key,
               NULLIF(enterprise._mapping_key(explain_company_id.customer_name, 'name'), '') AS name_key,
               NULLIF(enterprise._mapping_key(explain_company_id.account_name, 'account_name'), '') AS account_name_key
    ),
    -- The answer, exactly as resolution previews it.
    answer AS (
        SELECT p.company_id, p.status, p.source, p.match_type, p.temp_id, p.request_id
          FROM enterprise.preview_company_ids(
                   plan_codes      => ARRAY[explain_company_id.plan_code],
                   customer_names  => ARRAY[explain_company_id.customer_name],
                   account_names   => ARRAY[explain_company_id.account_name],
                   account_numbers => ARRAY[explain_company_id.account_number]) AS p
    ),
    -- The TEMP key resolution would use (NULL unless the answer is a TEMP id).
    core AS (
        SELECT l.temp_key
          FROM enterprise._lookup_company_ids(
                   ARRAY[explain_company_id.plan_code], ARRAY[explain_company_id.customer_name],
                   ARRAY[explain_company_id.account_name], ARRAY[explain_company_id.account_number]) AS l
    ),
    -- The step that gave the answer.
    answered_step AS (
        SELECT CASE WHEN a.status = 'success_internal' THEN
                        CASE a.source WHEN 'plan' THEN 1 WHEN 'account' THEN 2 WHEN 'hardcode' THEN 3
                                      WHEN 'name' THEN 4 WHEN 'account_name' THEN 5 END
                    WHEN a.status = 'success_external' THEN 6
                    ELSE 7
               END AS step
          FROM answer AS a
    ),
    mapping_steps AS (
        SELECT s.step, s.kind, s.key, s.curated, s.field, s.input, m.alias_name, m.canonical_id, m.source,
               m.confidence, m.updated_at
          FROM keys AS k
         CROSS JOIN LATERAL (VALUES
                   (1, 'plan',         k.plan_key,         true,  'plan code',      explain_company_id.plan_code),
                   (2, 'account',      k.account_key,      true,  'account number', explain_company_id.account_number),
                   (3, 'hardcode',     k.plan_key,         true,  'plan code',      explain_company_id.plan_code),
                   (4, 'name',         k.name_key,         true,  'customer name',  explain_company_id.customer_name),
                   (5, 'account_name', k.account_name_key, true,  'account name',   explain_company_id.account_name),
                   (6, 'learned',      k.name_key,         false, 'customer name',  explain_company_id.customer_name))
               AS s(step, kind, key, curated, field, input)
          LEFT JOIN LATERAL (
               SELECT m.alias_name::text AS alias_name, m.canonical_id::text AS canonical_id, m.source::text AS source,
                      m.confidence::numeric AS confidence, m.updated_at
                 FROM enterprise.company_mapping AS m
                WHERE m.match_type = CASE WHEN s.curated THEN s.kind ELSE 'name' END
                  AND m.lookup_key = s.key
                  AND (m.source = 'internal') = s.curated
                ORDER BY m.updated_at DESC, m.alias_name
                LIMIT 1) AS m ON true
    ),
    -- The final step: the name's lookup request, or the TEMP id.
    final_step AS (
        SELECT CASE WHEN k.name_key IS NULL OR a.status = 'temp_assigned' THEN 'temp_id' ELSE 'queue' END AS kind,
               CASE WHEN k.name_key IS NOT NULL THEN k.name_key
                    ELSE pg_catalog.translate(c.temp_key, pg_catalog.chr(31), '|')
               END AS key,
               k.name_key,
               c.temp_key,
               a.status,
               a.temp_id,
               -- pending: the request it waits for (preview's); a TEMP id keyed on
               -- the name: EQC's latest "not found" answer for it
               CASE WHEN a.status = 'pending_lookup' THEN a.request_id
                    WHEN a.status = 'temp_assigned' AND k.name_key IS NOT NULL THEN
                        (SELECT q.id FROM enterprise.lookup_requests AS q
                          WHERE q.normalized_name = k.name_key AND q.status = 'done' AND q.outcome = 'not_found'
                          ORDER BY q.completed_at DESC, q.id DESC
                          LIMIT 1)
               END AS request_id
          FROM keys AS k, answer AS a, core AS c
    )
    SELECT m.step,
           m.kind,
           m.key,
           m.canonical_id IS NOT NULL,
           m.step = w.step,
           m.alias_name,
           m.canonical_id,
           m.source,
           m.confidence,
           m.updated_at,
           NULL::bigint, NULL::text, NULL::text, NULL::integer, NULL::timestamptz, NULL::timestamptz, NULL::text,
           NULL::text,
           CASE WHEN m.step = w.step THEN a.company_id END,
           CASE WHEN m.step = w.step THEN a.status END,
           CASE WHEN m.key IS NULL AND NULLIF(pg_catalog.btrim(m.input), '') IS NULL THEN 'no ' || m.field
                WHEN m.key IS NULL THEN 'the ' || m.field || ' normalizes to nothing (a placeholder or decoration only)'
                WHEN m.step = w.step AND m.curated THEN 'curated ' || m.kind || ' mapping: the answer'
                WHEN m.step = w.step THEN 'learned from EQC, and no curated mapping matched: the answer'
                WHEN m.canonical_id IS NOT NULL AND NOT m.curated AND w.step < 6
                    THEN 'learned from EQC, but a curated mapping wins (step ' || w.step || ')'
                WHEN m.canonical_id IS NOT NULL THEN 'matches, but step ' || w.step || ' answered first'
                WHEN m.curated THEN 'no curated ' || m.kind || ' mapping for this key'
                ELSE 'no name learned from EQC for this key'
           END
      FROM mapping_steps AS m, answered_step AS w, answer AS a
    UNION ALL
    SELECT 7,
           f.kind,
           f.key,
           CASE WHEN f.status = 'pending_lookup' THEN f.request_id IS NOT NULL
                WHEN f.status = 'temp_assigned' THEN f.temp_id IS NOT NULL
                ELSE false
           END,
           f.status IN ('pending_lookup', 'temp_assigned'),
           NULL::text, NULL::text, NULL::text, NULL::numeric, NULL::timestamptz,
           q.id, q.status, q.outcome, q.attempts, q.next_attempt_at, q.completed_at, q.last_error,
           f.temp_id,
           CASE WHEN f.status IN ('pending_lookup', 'temp_assigned') THEN a.company_id END,
           CASE WHEN f.status IN ('pending_lookup', 'temp_assigned') THEN f.status END,
           CASE WHEN f.status NOT IN ('pending_lookup', 'temp_assigned')
                    THEN 'not reached: step ' || w.step || ' answered'
                WHEN f.status = 'pending_lookup' AND q.id IS NULL
                    THEN 'not queued yet: resolving would queue the name for an EQC lookup'
                WHEN f.status = 'pending_lookup' AND q.status = 'review'
                    THEN 'EQC answered, but not surely enough: request ' || q.id || ' waits for a person (review)'
                WHEN f.status = 'pending_lookup' AND q.status = 'failed'
                    THEN 'request ' || q.id || ' failed after ' || q.attempts || ' attempt(s): '
                         || CASE WHEN s.failed_retry_after IS NOT NULL
                                      AND q.last_failed_at <= pg_catalog.now() - s.failed_retry_after
                                 THEN 'resolving the name again retries it now'
                                 ELSE 'it is retried when the name is resolved after failed_retry_after, or by requeue_failed'
                            END
                WHEN f.status = 'pending_lookup'
                    THEN 'queued: request ' || q.id || ' is ' || q.status
                WHEN f.name_key IS NOT NULL AND q.id IS NOT NULL
                    THEN 'EQC found nothing for this name (request ' || q.id || '): a TEMP id keyed on the name'
                WHEN f.name_key IS NOT NULL
                    THEN 'the name''s key is longer than 255 characters, too long to look up: a TEMP id keyed on the name'
                WHEN f.temp_key IS NULL
                    THEN 'no field at all: each resolution gives a fresh TEMP id'
                ELSE 'no customer name: a TEMP id keyed on the plan code, account number and account name'
           END
           || CASE WHEN f.status <> 'temp_assigned' OR f.temp_key IS NULL THEN ''
                   WHEN f.temp_id IS NULL THEN '; none assigned yet: resolving would assign one'
                   ELSE '; assigned before'
              END
      FROM final_step AS f
      CROSS JOIN answered_step AS w
      CROSS JOIN answer AS a
      LEFT JOIN enterprise.lookup_requests AS q ON q.id = f.request_id
      LEFT JOIN enterprise.queue_settings AS s ON s.singleton
     ORDER BY 1;
END;
$$;

COMMENT ON FUNCTION enterprise.explain_company_id(text, text, text, text) IS
    'Why a record gets its company id: one row per resolution step (plan, account, hardcode, name, account_name, '
    'learned, then queue or temp_id) with the key tried, whether it hit, the mapping or request or TEMP id found, '
    'and the answer (preview_company_ids''s) on the row of the step that gave it. Writes nothing. Raises nothing '
    'on any input.';

REVOKE ALL ON FUNCTION enterprise.explain_company_id(text, text, text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION enterprise.explain_company_id(text, text, text, text)
    TO enrichment_reader, enrichment_worker, enrichment_admin;

COMMIT;
