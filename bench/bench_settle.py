"""One worker's settle cycle, this code beside a release, interleaved on one machine.

    .venv/bin/python bench/bench_settle.py [--batch 50] [--before @v0.5.1] [--blocks 20]
    .venv/bin/python bench/bench_settle.py --text-beside [--batch 50] [--blocks 20]
    .venv/bin/python bench/bench_settle.py --without history|companies|lock [--batch 50] [--blocks 20]

One connection per database, each holding a batch of claimed requests: ``settle_lookups`` answers them (one EQC
candidate each, found, as bench_queue.py's cycle) and claims the next batch, ten cycles at a time, the two databases
taking turns block after block so the machine's load falls on both alike. Prints answers per second for each and the
ratio: the server's cost per settle without the worker processes and the peers that bench_queue.py runs beside it.

``--text-beside``: this code only, the candidates sent binary (``%b``, what the worker sends since 0.5.1) beside
the same statement with them in text (``%s``, as before), on two databases of this code, interleaved the same way;
prints answers per second and the worker's CPU per answer (``time.process_time``) for each.

``--without``: what one part of the settle costs. Two databases of this code; in the second, the mapping history's
two statement triggers are disabled (``history``), the ``companies`` CTE that writes ``eqc_companies`` is taken out
of ``_settle_lookups`` (``companies``), or its separate row lock is (``lock``: the settle then relies on its update
alone). A measurement, never a configuration: the second database is dropped with the first.
"""

from __future__ import annotations

import argparse
import time
from dataclasses import dataclass
from pathlib import Path

import psycopg
from bench_queue import BEFORE, CLAIM, SETTLE, _candidates, enqueue
from common import command, head_beside

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
        held = conn.execute(sql, ("bench", ids, [_candidates(i, name) for i, name in live], batch)).fetchall()
        answers += len(ids)
    return held, answers


@dataclass
class Drained:
    """One database's share of an interleaved run: answers settled, wall seconds, worker CPU seconds."""

    answers: int = 0
    seconds: float = 0.0
    cpu: float = 0.0

    @property
    def rate(self) -> float:
        return self.answers / self.seconds


def _interleaved(uris: dict[str, str], sql: dict[str, str], batch: int, blocks: int) -> dict[str, Drained]:
    """Queue the requests in each database, then settle them in blocks of ten cycles, the databases taking turns
    (the order flips every block), each with its own statement; returns each label's totals."""
    for uri in uris.values():
        enqueue(uri, batch * 10 * (blocks + 1), tag="settle")
    conns = {label: psycopg.connect(uri, autocommit=True) for label, uri in uris.items()}
    try:
        held = {label: c.execute(CLAIM, (batch, "bench")).fetchall() for label, c in conns.items()}
        totals = {label: Drained() for label in conns}
        for block in range(blocks):
            for label in list(conns) if block % 2 else list(reversed(conns)):
                start, start_cpu = time.perf_counter(), time.process_time()
                held[label], n = _cycles(conns[label], held[label], batch, 10, sql[label])
                totals[label].seconds += time.perf_counter() - start
                totals[label].cpu += time.process_time() - start_cpu
                totals[label].answers += n
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
    args = parser.parse_args()
    if args.text_beside:
        text_beside(args.batch, args.blocks)
        return
    if args.without:
        without(args.without, args.batch, args.blocks)
        return
    with head_beside("enrichment_bench_settle", args.before) as uris:
        totals = _interleaved(uris, dict.fromkeys(uris, SETTLE), args.batch, args.blocks)
    for label, t in totals.items():
        print(f"  {label}: {t.rate:,.0f} answers/s ({t.answers:,} answers, batch {args.batch})")
    print(f"  HEAD / {args.before}: {totals['HEAD'].rate / totals[args.before].rate:.2f}x")
    print(f"  reproduce: {command('bench/bench_settle.py', '--batch', str(args.batch), '--before', args.before)}")


def text_beside(batch: int, blocks: int) -> None:
    sql = {"binary": SETTLE, "text": SETTLE_TEXT}
    # head_beside with HEAD as the "release": two databases of this code, made and dropped together
    with head_beside("enrichment_bench_settle_text", "@HEAD") as uris:
        totals = _interleaved(dict(zip(sql, uris.values(), strict=True)), sql, batch, blocks)
    for label, t in totals.items():
        print(
            f"  candidates {label}: {t.rate:,.0f} answers/s, worker CPU {t.cpu / t.answers * 1e6:.1f} us/answer"
            f" ({t.answers:,} answers, batch {batch})"
        )
    binary, text = totals["binary"], totals["text"]
    print(
        f"  binary / text: {binary.rate / text.rate:.2f}x answers/s,"
        f" {(text.cpu / text.answers) / (binary.cpu / binary.answers):.2f}x less worker CPU per answer"
    )
    print(f"  reproduce: {command('bench/bench_settle.py', '--text-beside', '--batch', str(batch))}")


_SETTLE_BODY = Path(__file__).resolve().parent.parent / "deploy" / "function_settle_lookups_private.sql"


def _settle_function() -> str:
    """HEAD's CREATE FUNCTION statement of _settle_lookups, from its deploy script."""
    text = _SETTLE_BODY.read_text()
    return text[text.index("CREATE OR REPLACE FUNCTION") : text.index("COMMENT ON FUNCTION")]


#: --without: the parts of the settle that can be taken out of the second database.
WITHOUT = ("companies", "history", "lock")


def _without_statements(part: str) -> list[str]:
    """The statements that take ``part`` out of a database of this code."""
    if part == "history":
        return [
            "ALTER TABLE enterprise.company_mapping DISABLE TRIGGER company_mapping_history_insert",
            "ALTER TABLE enterprise.company_mapping DISABLE TRIGGER company_mapping_history_update",
        ]
    function = _settle_function()
    if part == "companies":
        cut = function[: function.index("    companies AS (")] + function[function.index("    learned AS (") :]
    else:
        cut = function.replace("           FOR UPDATE OF q\n", "")
    assert cut != function, "the settle's deploy script no longer has the part to take out"
    return ["SET ROLE enrichment_owner", cut]


def without(part: str, batch: int, blocks: int) -> None:
    statements = _without_statements(part)
    with head_beside("enrichment_bench_settle_without", "@HEAD") as uris:
        whole, cut = uris.values()
        with psycopg.connect(cut, autocommit=True) as conn:
            for statement in statements:
                conn.execute(statement)  # type: ignore[arg-type]
        labels = {"HEAD": whole, f"without {part}": cut}
        totals = _interleaved(labels, dict.fromkeys(labels, SETTLE), batch, blocks)
    for label, t in totals.items():
        print(f"  {label}: {t.rate:,.0f} answers/s ({t.answers:,} answers, batch {batch})")
    print(f"  without {part} / HEAD: {totals[f'without {part}'].rate / totals['HEAD'].rate:.3f}x")
    print(f"  reproduce: {command('bench/bench_settle.py', '--without', part, '--batch', str(batch))}")


if __name__ == "__main__":
    main()
