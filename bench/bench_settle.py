"""One worker's settle cycle, this code beside a release, interleaved on one machine.

    .venv/bin/python bench/bench_settle.py [--batch 50] [--before @v0.5.1] [--blocks 20]
    .venv/bin/python bench/bench_settle.py --text-beside [--batch 50] [--blocks 20]
    .venv/bin/python bench/bench_settle.py --without PART [--batch 50] [--blocks 20]
        (PART: history, companies, lock, claim-call, key-inlining, trigger-work, own-history or statements)
    .venv/bin/python bench/bench_settle.py --floor-beside [--batch 50] [--blocks 20]

One connection per database, each holding a batch of claimed requests: ``settle_lookups`` answers them (one EQC
candidate each, found, as bench_queue.py's cycle) and claims the next batch, ten cycles at a time, the two databases
taking turns block after block so the machine's load falls on both alike. Prints answers per second for each and the
ratio: the server's cost per settle without the worker processes and the peers that bench_queue.py runs beside it.
Beside it, the backend's own CPU per answer (the server process of each connection, from /proc/<pid>/schedstat when
the server runs on this machine, as the project-local cluster does) and its ratio: what the settle costs the server,
which other work on the machine moves far less than it moves a rate (two copies of one database: within 1%).

``--text-beside``: this code only, the candidates sent binary (``%b``, what the worker sends since 0.5.1) beside
the same statement with them in text (``%s``, as before), on two databases of this code, interleaved the same way;
prints answers per second, the backend's CPU and the worker's CPU per answer (``time.process_time``) for each.

``--without``: what one part of the settle costs. Two databases of this code; in the second, the mapping history's
two statement triggers are disabled (``history``), the ``companies`` CTE that writes ``eqc_companies`` is taken out
of ``_settle_lookups`` (``companies``), or its separate row lock is (``lock``: the settle then relies on its update
alone). Two more are upper bounds of what a rework could save, not parts anyone could leave out: ``claim-call``
claims the next batch with claim_lookups' statement and _claim_policy's settings lookup written into the settle (no
call of claim_lookups, of its _check_worker or of _claim_policy, and none of their checks), ``key-inlining`` makes
the generated lookup_key's function (_mapping_key) plpgsql with the same body, so a statement that writes
company_mapping plans a call instead of inlining the whole normalization (a bulk import would pay per row
instead). Two more split the history's cost: ``trigger-work`` leaves both history triggers firing, with their
transition tables, but their function returns at once and writes nothing (what firing them costs is what is left);
``own-history`` disables the insert trigger and has the settle's own statement write its change set, with its
count, and a history row for each name it inserted, as the floor does (an upper bound of the settle logging its
own rows: no check that tells its rows from another writer's, which a real design would need). ``statements`` is
the last upper bound: the whole of ``_settle_lookups`` as one statement under its wrapper (the settings read once,
the lock, the scoring, every write and claim_lookups' claim as CTEs of a single RETURN QUERY, built from the deploy
scripts' text; see _one_statement for what it leaves out), with no EXCEPTION block and no fallback for an unusable
answer: what a rewrite into fewer statements could save at most. A measurement, never a configuration: the second
database is dropped with the first.

``--floor-beside``: this code's settle beside the floor of bench_queue.py (FLOOR: the same rows written by one plain
statement and nothing else), one connection each, interleaved the same way: how far the settle's backend CPU per
answer is above what its writes alone cost, at one batch size.
"""

from __future__ import annotations

import argparse
import re
import time
from dataclasses import dataclass
from pathlib import Path

import psycopg
from bench_queue import BEFORE, CLAIM, FLOOR, SETTLE, _candidates, enqueue, floor_cycle, floor_database, floor_session
from common import command, drop_database, fresh_database, head_beside, taking_turns

Conn = psycopg.Connection[tuple[object, ...]]
Rows = list[tuple[object, ...]]


#: The worker's statement with the candidates in text form, as 0.5.0's client sent them.
SETTLE_TEXT = SETTLE.replace("candidates => %b::jsonb[]", "candidates => %s::jsonb[]")
assert SETTLE_TEXT != SETTLE


def _cycles(conn: Conn, held: Rows, batch: int, cycles: int, sql: str = SETTLE) -> tuple[Rows, int]:
    answers = 0
    for _ in range(cycles):
        live = [(int(str(r[0])), str(r[1])) for r in held if r[3] == "processing"]
        ids = [request_id for request_id, _ in live]
        candidates = [_candidates(i, name) for i, name in live]
        if sql == FLOOR:
            held = floor_cycle(conn, "bench", ids, candidates, batch)
        else:
            held = conn.execute(sql, ("bench", ids, candidates, batch)).fetchall()
        answers += len(ids)
    return held, answers


@dataclass
class Drained:
    """One database's share of an interleaved run: answers settled, wall seconds, worker CPU seconds, and the CPU
    seconds of its connection's server process (None when the server is not on this machine)."""

    answers: int = 0
    seconds: float = 0.0
    cpu: float = 0.0
    backend: float | None = 0.0

    @property
    def rate(self) -> float:
        return self.answers / self.seconds

    @property
    def backend_us(self) -> float | None:
        """The server's CPU per answer, in microseconds."""
        return None if self.backend is None else self.backend / self.answers * 1e6

    @property
    def backend_text(self) -> str:
        """ ", backend CPU N us/answer" for a report line, or nothing when it is not known."""
        return "" if self.backend_us is None else f", backend CPU {self.backend_us:,.0f} us/answer"


def _report(totals: dict[str, Drained], batch: int) -> None:
    """A line per database: answers per second and, when known, the server's CPU per answer."""
    for label, t in totals.items():
        print(f"  {label}: {t.rate:,.0f} answers/s{t.backend_text} ({t.answers:,} answers, batch {batch})")


def _ratios(totals: dict[str, Drained], label: str, baseline: str, digits: int = 2) -> None:
    """``label`` against ``baseline``: answers per second, and the server's CPU per answer when known."""
    t, base = totals[label], totals[baseline]
    line = f"  {label} / {baseline}: {t.rate / base.rate:.{digits}f}x answers/s"
    if t.backend_us is not None and base.backend_us is not None:
        line += f", {t.backend_us / base.backend_us:.{digits}f}x the backend CPU per answer"
    print(line)


def _interleaved(uris: dict[str, str], sql: dict[str, str], batch: int, blocks: int) -> dict[str, Drained]:
    """Queue the requests in each database, then settle them in blocks of ten cycles, the databases taking turns
    (the order flips every block), each with its own statement; returns each label's totals. A connection that runs
    FLOOR is set up as bench_queue's floor workers are (planned once, committed asynchronously). One block each
    runs first, unmeasured, so that every plan is made before the clock starts."""
    for uri in uris.values():
        enqueue(uri, batch * 10 * (blocks + 2), tag="settle")
    conns = {label: psycopg.connect(uri, autocommit=True) for label, uri in uris.items()}
    try:
        for label, c in conns.items():
            if sql[label] == FLOOR:
                floor_session(c)
        held = {label: c.execute(CLAIM, (batch, "bench")).fetchall() for label, c in conns.items()}
        for label, c in conns.items():
            held[label], _ = _cycles(c, held[label], batch, 10, sql[label])
        totals = {label: Drained() for label in conns}

        def block(label: str, conn: Conn) -> None:
            total = totals[label]
            start, start_cpu = time.perf_counter(), time.process_time()
            held[label], n = _cycles(conn, held[label], batch, 10, sql[label])
            total.seconds += time.perf_counter() - start
            total.cpu += time.process_time() - start_cpu
            total.answers += n

        for label, seconds in taking_turns(conns, blocks, block).items():
            totals[label].backend = seconds
        return totals
    finally:
        for c in conns.values():
            c.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--batch", type=int, default=50, help="requests per settle (default 50)")
    parser.add_argument("--before", default=BEFORE, help=f"the release beside this code (default {BEFORE})")
    parser.add_argument("--blocks", type=int, default=20, help="blocks of ten cycles per database (default 20)")
    parser.add_argument("--text-beside", action="store_true", help="binary vs text candidates, this code only")
    parser.add_argument("--without", choices=WITHOUT, help="this code beside a copy without one part")
    parser.add_argument("--floor-beside", action="store_true", help="this code's settle beside bench_queue's floor")
    args = parser.parse_args()
    if args.text_beside:
        text_beside(args.batch, args.blocks)
        return
    if args.floor_beside:
        floor_beside(args.batch, args.blocks)
        return
    if args.without:
        without(args.without, args.batch, args.blocks)
        return
    with head_beside("enrichment_bench_settle", args.before) as uris:
        totals = _interleaved(uris, dict.fromkeys(uris, SETTLE), args.batch, args.blocks)
    _report(totals, args.batch)
    _ratios(totals, "HEAD", args.before)
    print(f"  reproduce: {command('bench/bench_settle.py', '--batch', str(args.batch), '--before', args.before)}")


def text_beside(batch: int, blocks: int) -> None:
    sql = {"binary": SETTLE, "text": SETTLE_TEXT}
    # head_beside with HEAD as the "release": two databases of this code, made and dropped together
    with head_beside("enrichment_bench_settle_text", "@HEAD") as uris:
        totals = _interleaved(dict(zip(sql, uris.values(), strict=True)), sql, batch, blocks)
    for label, t in totals.items():
        print(
            f"  candidates {label}: {t.rate:,.0f} answers/s{t.backend_text}, worker CPU {t.cpu / t.answers * 1e6:.1f}"
            f" us/answer ({t.answers:,} answers, batch {batch})"
        )
    binary, text = totals["binary"], totals["text"]
    print(
        f"  binary / text: {binary.rate / text.rate:.2f}x answers/s,"
        f" {(text.cpu / text.answers) / (binary.cpu / binary.answers):.2f}x less worker CPU per answer"
    )
    print(f"  reproduce: {command('bench/bench_settle.py', '--text-beside', '--batch', str(batch))}")


_SETTLE_BODY = Path(__file__).resolve().parent.parent / "deploy" / "function_settle_lookups_private.sql"


def _between(text: str, start: str, end: str) -> str:
    """The part of ``text`` from ``start`` (kept) to ``end`` (left out); both must be there."""
    assert start in text and end in text, f"{start!r} or {end!r} is no longer in a deploy script"
    return text[text.index(start) : text.index(end, text.index(start))]


def _settle_function() -> str:
    """HEAD's CREATE FUNCTION statement of _settle_lookups, from its deploy script."""
    return _between(_SETTLE_BODY.read_text(), "CREATE OR REPLACE FUNCTION", "COMMENT ON FUNCTION")


#: --without: the parts of the settle that can be taken out of the second database, then upper bounds of what
#: a rework could save (the module's docstring).
WITHOUT = (
    "companies",
    "history",
    "lock",
    "claim-call",
    "key-inlining",
    "trigger-work",
    "own-history",
    "statements",
)

#: trigger-work: the history triggers' function as a body that writes nothing (they still fire, transition tables
#: and all); the same signature, security and search_path as _record_mapping_history.
_IDLE_HISTORY = """
CREATE OR REPLACE FUNCTION enterprise._record_mapping_history()
RETURNS trigger LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $$ BEGIN RETURN NULL; END; $$
"""

#: own-history: the settle's inserted names returned by its insert and written to the history in the same
#: statement, under a change set opened there with its count (the insert trigger disabled); what the trigger
#: writes for them, as _record_mapping_history does.
_OWN_HISTORY = """        ON CONFLICT DO NOTHING
        RETURNING m.alias_name, m.match_type, m.canonical_id, m.source, m.confidence, m.eqc_type, m.updated_at
    ),
    own_change_set AS (
        INSERT INTO enterprise.company_mapping_change_sets (kind, label, application_name, changed_by, inserted)
        SELECT 'sql', NULLIF(pg_catalog.btrim(pg_catalog.current_setting('enrichment.change_set_label', true)), ''),
               NULLIF(pg_catalog.current_setting('application_name'), ''),
               NULLIF(pg_catalog.btrim(pg_catalog.current_setting('enrichment.changed_by', true)), ''), n.n
          FROM (SELECT pg_catalog.count(*) AS n FROM inserted) AS n
         WHERE n.n > 0
        RETURNING id
    ),
    own_history AS (
        INSERT INTO enterprise.company_mapping_history
               (change_set, operation, alias_name, match_type, canonical_id_after, source_after, confidence_after,
                eqc_type_after, updated_at_after, changed_at, session_user_name, application_name, changed_by)
        SELECT c.id, 'insert', i.alias_name, i.match_type, i.canonical_id, i.source, i.confidence, i.eqc_type,
               i.updated_at, pg_catalog.clock_timestamp(), SESSION_USER,
               NULLIF(pg_catalog.current_setting('application_name'), ''),
               NULLIF(pg_catalog.btrim(pg_catalog.current_setting('enrichment.changed_by', true)), '')
          FROM inserted AS i CROSS JOIN own_change_set AS c
    ),
    updated AS ("""

_CLAIM_BODY = _SETTLE_BODY.with_name("function_claim_lookups.sql")
_POLICY_BODY = _SETTLE_BODY.with_name("function_claim_policy.sql")


def _renamed(statement: str, names: dict[str, str]) -> str:
    """``statement`` with each of ``names`` renamed where it stands as a whole name (every one must be there)."""
    for name, renamed in names.items():
        statement, count = re.subn(rf"(?<![\w.]){re.escape(name)}\b", renamed, statement)
        assert count, f"{name!r} is no longer in the statement taken from a deploy script"
    return statement


def _claim_query(batch: str, attempts: str, lease: str) -> str:
    """claim_lookups' RETURN QUERY, from its deploy script, with ``batch``, ``attempts`` and ``lease`` standing for
    its batch_size and the max_attempts and lease its policy gave."""
    statement = _between(_CLAIM_BODY.read_text(), "    RETURN QUERY\n    WITH due", "END;\n$$;")
    return _renamed(statement, {"batch_size": batch, "_max": attempts, "_lease": lease})


def _claim_statements() -> str:
    """_claim_policy's settings lookup and claim_lookups' RETURN QUERY, from their deploy scripts, as the settle
    would run them: its lease, max_attempts and claim_next stand for theirs."""
    lookup = _between(_POLICY_BODY.read_text(), "    SELECT COALESCE(_claim_policy.lease", "    IF lease_for <=")
    policy_names = {
        "_claim_policy.lease": "_settle_lookups.lease",
        "_claim_policy.max_attempts": "_settle_lookups.max_attempts",
        "lease_for": "lease",
        "attempts_for": "max_attempts",
    }
    claim = _claim_query("claim_next", "_settle_lookups.max_attempts", "_settle_lookups.lease")
    return _renamed(lookup, policy_names) + claim


#: statements: the settings read once, for the decision and the claim (no _claim_policy call, none of its checks).
_SETTINGS = """    WITH settings AS MATERIALIZED (
        SELECT s.auto_accept_confidence AS threshold,
               COALESCE(_settle_lookups.lease, s.default_lease) AS lease_for,
               COALESCE(_settle_lookups.max_attempts, s.max_attempts) AS attempts_for
          FROM enterprise.queue_settings AS s
         WHERE s.singleton
    ),
"""

#: statements: the held requests as arrays in answer order, and their scored candidates, inside the statement.
_PACKED = """    packed AS MATERIALIZED (
        SELECT COALESCE(pg_catalog.array_agg(h.id ORDER BY h.ord), '{}') AS ids,
               pg_catalog.array_agg(h.normalized_name ORDER BY h.ord) AS keys,
               pg_catalog.array_agg(h.alias ORDER BY h.ord) AS aliases,
               pg_catalog.array_agg(h.answer ORDER BY h.ord) AS answers
          FROM held AS h
    ),
    candidate AS MATERIALIZED (
        SELECT s.ordinal AS ord, s.rank, s.company_id, s.full_name, s.unite_code, s.eqc_type, s.confidence, s.raw
          FROM packed AS p
         CROSS JOIN LATERAL enterprise._score_candidates(p.keys, p.answers, _settle_lookups.mode = 'eqc') AS s
    ),
"""


def _one_statement() -> str:
    """HEAD's _settle_lookups as one statement under its wrapper: the settings, the lock, the scoring, every write
    and the claim (claim_lookups' CTEs) in a single RETURN QUERY. The lock, the writes and the claim are the
    deploy scripts' own text; the settings CTE (_SETTINGS: the threshold and _claim_policy's lookup in one read)
    and the packing of the held requests for the scoring (_PACKED) are written here. Left out: the worker checks of
    _settle_lookups and claim_lookups (the wrapper's stays), the mode and batch_size checks, _claim_policy's
    checks, the EXCEPTION block and the fallback for an unusable answer (an invalid candidate fails the whole
    call). Two meanings differ on paths bench_settle never takes: claim_next 0 or NULL claims with LIMIT 0 or no
    limit (HEAD claims nothing), and a held request whose lease ran out could be picked by the claim in the same
    statement that settles it. An upper bound of what a rewrite into fewer statements could save."""
    function = _settle_function()
    header = function[: function.index("DECLARE")]
    held = _between(function, "    WITH locked AS MATERIALIZED (", "    SELECT pg_catalog.array_agg(h.id ORDER BY")
    held = held.replace("    WITH locked AS", "    locked AS").rstrip() + ",\n"
    writes = _between(function, "    decided AS MATERIALIZED (", "    -- (data-modifying CTEs run to completion")
    writes = _renamed(writes, {"_threshold": "(SELECT t.threshold FROM settings AS t)"})
    rows = (
        "FROM ROWS FROM (pg_catalog.unnest(_ids), pg_catalog.unnest(_keys), pg_catalog.unnest(_aliases))",
        "FROM packed AS p CROSS JOIN LATERAL\n                       ROWS FROM (pg_catalog.unnest(p.ids),"
        " pg_catalog.unnest(p.keys), pg_catalog.unnest(p.aliases))",
    )
    edits = (
        rows,
        ("WHERE NOT u.id = ANY (_bad)", "WHERE true"),
        ("q.id = ANY (_ids)", "q.id = ANY ((SELECT p.ids FROM packed AS p)::bigint[])"),
    )
    for old, new in edits:
        assert old in writes, f"{old!r} is no longer in the settle's deploy script"
        writes = writes.replace(old, new)
    claim = _claim_query(
        "_settle_lookups.claim_next",
        "(SELECT t.attempts_for FROM settings AS t)",
        "(SELECT t.lease_for FROM settings AS t)",
    )
    claim = _between(claim, "        SELECT q.id\n", "    SELECT * FROM claimed")
    return (
        header
        + "BEGIN\n    RETURN QUERY\n"
        + _SETTINGS
        + held
        + _PACKED
        + writes.rstrip().rstrip(",")
        + ",\n    due AS MATERIALIZED (\n"
        + claim
        + "    (SELECT r.* FROM settled AS r ORDER BY r.status = 'review', r.id)\n"
        + "    UNION ALL\n"
        + "    (SELECT c.* FROM claimed AS c WHERE c.status = 'processing' ORDER BY c.id);\n"
        + "END;\n$$;\n"
    )


def _without_statements(part: str) -> list[str]:
    """The statements that take ``part`` out of a database of this code."""
    if part == "history":
        return [
            "ALTER TABLE enterprise.company_mapping DISABLE TRIGGER company_mapping_history_insert",
            "ALTER TABLE enterprise.company_mapping DISABLE TRIGGER company_mapping_history_update",
        ]
    if part == "key-inlining":
        # the same RETURN expression, in a plpgsql body the planner cannot inline (taken from the database itself);
        # no SET clause, as the SQL function has none (a SET would add its own cost to every row)
        return [
            "SET ROLE enrichment_owner",
            "DO $do$ BEGIN EXECUTE pg_catalog.format("
            "'CREATE OR REPLACE FUNCTION enterprise._mapping_key(alias_name text, match_type text) RETURNS text "
            "LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE "
            "AS %L', 'BEGIN ' || pg_catalog.pg_get_function_sqlbody('enterprise._mapping_key'::regproc) || '; END'); "
            "END $do$",
        ]
    if part == "trigger-work":
        return ["SET ROLE enrichment_owner", _IDLE_HISTORY]
    if part == "statements":
        return ["SET ROLE enrichment_owner", _one_statement()]
    function = _settle_function()
    if part == "own-history":
        cut = function.replace("        ON CONFLICT DO NOTHING\n    ),\n    updated AS (", _OWN_HISTORY)
        assert cut != function, "the settle's deploy script no longer has its insert before the updated CTE"
        return [
            "ALTER TABLE enterprise.company_mapping DISABLE TRIGGER company_mapping_history_insert",
            "SET ROLE enrichment_owner",
            cut,
        ]
    if part == "companies":
        cut = function[: function.index("    companies AS (")] + function[function.index("    learned AS (") :]
    elif part == "claim-call":
        cut = function.replace(
            "        RETURN QUERY SELECT * FROM enterprise.claim_lookups(claim_next, worker, lease, max_attempts);\n",
            _claim_statements(),
        )
    else:
        cut = function.replace("           FOR UPDATE OF q\n", "")
    assert cut != function, "the settle's deploy script no longer has the part to take out"
    return ["SET ROLE enrichment_owner", cut]


def _history_written(uri: str) -> tuple[int, int]:
    """The mapping history's rows and change sets in a database, so each copy shows what it wrote."""
    with psycopg.connect(uri) as conn:
        row = conn.execute(
            "SELECT (SELECT count(*) FROM enterprise.company_mapping_history),"
            " (SELECT count(*) FROM enterprise.company_mapping_change_sets)"
        ).fetchone()
    assert row is not None
    return int(str(row[0])), int(str(row[1]))


def without(part: str, batch: int, blocks: int) -> None:
    statements = _without_statements(part)
    with head_beside("enrichment_bench_settle_without", "@HEAD") as uris:
        whole, cut = uris.values()
        with psycopg.connect(cut, autocommit=True) as conn:
            for statement in statements:
                conn.execute(statement)
        labels = {"HEAD": whole, f"without {part}": cut}
        totals = _interleaved(labels, dict.fromkeys(labels, SETTLE), batch, blocks)
        written = {label: _history_written(uri) for label, uri in labels.items()}
    _report(totals, batch)
    _ratios(totals, f"without {part}", "HEAD", digits=3)
    print(
        "  mapping history written (rows, change sets):",
        ", ".join(f"{k} {v[0]:,}, {v[1]:,}" for k, v in written.items()),
    )
    print(f"  reproduce: {command('bench/bench_settle.py', '--without', part, '--batch', str(batch))}")


#: --floor-beside: its two databases (not bench_queue's, which may be draining meanwhile).
FLOOR_BESIDE = {"HEAD": "enrichment_bench_settle_floor_head", "floor": "enrichment_bench_settle_floor"}


def floor_beside(batch: int, blocks: int) -> None:
    try:
        labels = {"HEAD": fresh_database(FLOOR_BESIDE["HEAD"]), "floor": floor_database(FLOOR_BESIDE["floor"])}
        totals = _interleaved(labels, {"HEAD": SETTLE, "floor": FLOOR}, batch, blocks)
    finally:
        for name in FLOOR_BESIDE.values():
            drop_database(name)
    _report(totals, batch)
    _ratios(totals, "HEAD", "floor")
    print(f"  reproduce: {command('bench/bench_settle.py', '--floor-beside', '--batch', str(batch))}")


if __name__ == "__main__":
    main()
