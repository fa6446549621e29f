"""One record at a time: ``resolve_company_id`` on this code beside a release, interleaved on one machine.

    .venv/bin/python bench/bench_single.py [--kind hit|queued] [--before @v0.5.2] [--blocks 20] [--calls 200]

Two scratch databases, one deployed to HEAD and one to the release, each with the same curated mappings (a plan
code and a customer name). One connection each calls ``resolve_company_id`` as the Python client does (named
parameters, a prepared statement) for two records in turn, in blocks of ``--calls`` calls:
- ``--kind hit`` (the default): internal hits, by plan code and by a decorated customer name;
- ``--kind queued``: two names nothing maps, queued once before the clock starts, whose calls find their pending
  requests.
The two databases take turns block after block, and take turns going first, so the machine's load falls on both
alike. Prints the p50 and p99 of a call's wall time (one round trip, as the client sees it) and the server process's
own CPU per call (from /proc/<pid>/schedstat when the server runs on this machine, as the project-local cluster
does), and HEAD's ratios to the release. Internal hits take the shortest path in ``resolve_company_ids``, so a
saving per call shows there at its largest share; a queued name runs its whole lookup.
"""

from __future__ import annotations

import argparse
import math
import statistics
import time
from typing import Any

import psycopg
from common import command, head_beside, taking_turns

#: The release before this code's change to the single call (0.5.3: resolve_company_id as plpgsql).
BEFORE = "@v0.5.2"

#: What the client sends (pyclient/company_enrichment/db.py SQL["resolve_company_id"]).
CALL = (
    "SELECT * FROM enterprise.resolve_company_id(plan_code => %(plan_code)s, customer_name => %(customer_name)s,"
    " account_name => %(account_name)s, account_number => %(account_number)s)"
)


def _record(plan_code: str | None = None, customer_name: str | None = None) -> dict[str, str | None]:
    return {"plan_code": plan_code, "customer_name": customer_name, "account_name": None, "account_number": None}


#: --kind: the records called in turn, and the status each call must answer. "hit": an internal hit by plan code
#: and by a decorated customer name (the batch function's shortest path); "queued": two names nothing maps, queued
#: once by _fill, so every call finds its pending request (the whole lookup statement, without a write).
KINDS: dict[str, tuple[tuple[dict[str, str | None], ...], str]] = {
    "hit": ((_record("BENCH-SINGLE-1"), _record(customer_name=" 单条测速有限公司（已转出） ")), "success_internal"),
    "queued": (
        (_record(customer_name="单条测速排队公司甲"), _record(customer_name=" 单条测速排队公司乙（已转出） ")),
        "pending_lookup",
    ),
}


def _fill(uri: str) -> None:
    """The curated mappings the hits find, and the queued names queued once."""
    with psycopg.connect(uri, autocommit=True) as conn:
        conn.execute(
            "SELECT enterprise.upsert_internal_mappings(%s, %s, %s)",
            (["BENCH-SINGLE-1", "单条测速有限公司"], ["810000001", "810000002"], ["plan", "name"]),
        )
        for record in KINDS["queued"][0]:
            conn.execute(CALL, record)


def _block(conn: psycopg.Connection[Any], calls: int, kind: str) -> list[float]:
    """Wall seconds of each of ``calls`` calls, the records of ``kind`` taken in turn, each checked for its status."""
    records, status = KINDS[kind]
    seconds = []
    for i in range(calls):
        start = time.perf_counter()
        row = conn.execute(CALL, records[i % len(records)], prepare=True).fetchone()
        seconds.append(time.perf_counter() - start)
        assert row is not None and row[1] == status, row
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--before", default=BEFORE, help=f"the release beside this code (default {BEFORE})")
    parser.add_argument("--blocks", type=int, default=20, help="blocks per database (default 20)")
    parser.add_argument("--calls", type=int, default=200, help="calls per block (default 200)")
    parser.add_argument("--kind", choices=tuple(KINDS), default="hit", help="internal hits or queued names")
    args = parser.parse_args()
    walls: dict[str, list[float]] = {}
    with head_beside("enrichment_bench_single", args.before) as uris:
        for uri in uris.values():
            _fill(uri)
        conns = {label: psycopg.connect(uri, autocommit=True) for label, uri in uris.items()}
        try:
            for label, conn in conns.items():  # plans made, statements prepared: nothing of that is measured
                _block(conn, args.calls, args.kind)
                walls[label] = []

            def block(label: str, conn: psycopg.Connection[Any]) -> None:
                walls[label] += _block(conn, args.calls, args.kind)

            backend = taking_turns(conns, args.blocks, block)
        finally:
            for conn in conns.values():
                conn.close()
    figures = {}
    for label, w in walls.items():
        ms = sorted(x * 1e3 for x in w)
        p50, p99 = statistics.median(ms), ms[math.ceil(len(ms) * 0.99) - 1]
        cpu = backend[label]
        per_call = None if cpu is None else cpu / len(w) * 1e6
        figures[label] = (p50, p99, per_call)
        text = "" if per_call is None else f", backend CPU {per_call:,.0f} us/call"
        print(f"  {label}: p50 {p50:.3f} ms, p99 {p99:.3f} ms{text} ({len(w):,} calls, {KINDS[args.kind][1]})")
    head, before = figures["HEAD"], figures[args.before]
    line = f"  HEAD / {args.before}: p50 {head[0] / before[0]:.2f}x, p99 {head[1] / before[1]:.2f}x"
    if head[2] is not None and before[2] is not None:
        line += f", {head[2] / before[2]:.2f}x the backend CPU per call"
    print(line)
    print(f"  reproduce: {command('bench/bench_single.py', '--before', args.before, '--kind', args.kind)}")


if __name__ == "__main__":
    main()
