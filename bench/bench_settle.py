"""One worker's settle cycle, this code beside a release, interleaved on one machine.

    .venv/bin/python bench/bench_settle.py [--batch 50] [--before @v0.4.0] [--blocks 20]

One connection per database, each holding a batch of claimed requests: ``settle_lookups`` answers them (one EQC
candidate each, found, as bench_queue.py's cycle) and claims the next batch, ten cycles at a time, the two databases
taking turns block after block so the machine's load falls on both alike. Prints answers per second for each and the
ratio: the server's cost per settle without the worker processes and the peers that bench_queue.py runs beside it.
"""

from __future__ import annotations

import argparse
import time

import psycopg
from bench_queue import CLAIM, SETTLE, _candidates, enqueue
from common import command, head_beside

Conn = psycopg.Connection[tuple[object, ...]]
Rows = list[tuple[object, ...]]


def _cycles(conn: Conn, held: Rows, batch: int, cycles: int) -> tuple[Rows, int]:
    answers = 0
    for _ in range(cycles):
        live = [(int(str(r[0])), str(r[1])) for r in held if r[3] == "processing"]
        ids = [request_id for request_id, _ in live]
        held = conn.execute(SETTLE, ("bench", ids, [_candidates(i, name) for i, name in live], batch)).fetchall()
        answers += len(ids)
    return held, answers


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--batch", type=int, default=50, help="requests per settle (default 50)")
    parser.add_argument("--before", default="@v0.4.0", help="the release beside this code (sqitch change or @tag)")
    parser.add_argument("--blocks", type=int, default=20, help="blocks of ten cycles per database (default 20)")
    args = parser.parse_args()
    jobs = args.batch * 10 * (args.blocks + 1)
    with head_beside("enrichment_bench_settle", args.before) as uris:
        for uri in uris.values():
            enqueue(uri, jobs, tag="settle")
        conns = {label: psycopg.connect(uri, autocommit=True) for label, uri in uris.items()}
        held = {label: c.execute(CLAIM, (args.batch, "bench")).fetchall() for label, c in conns.items()}
        seconds = dict.fromkeys(conns, 0.0)
        answers = dict.fromkeys(conns, 0)
        for block in range(args.blocks):
            for label in list(conns) if block % 2 else list(reversed(conns)):
                start = time.perf_counter()
                held[label], n = _cycles(conns[label], held[label], args.batch, 10)
                seconds[label] += time.perf_counter() - start
                answers[label] += n
        rate = {label: answers[label] / seconds[label] for label in conns}
        for label in conns:
            print(f"  {label}: {rate[label]:,.0f} answers/s ({answers[label]:,} answers, batch {args.batch})")
        print(f"  HEAD / {args.before}: {rate['HEAD'] / rate[args.before]:.2f}x")
        print(f"  reproduce: {command('bench/bench_settle.py', '--batch', str(args.batch), '--before', args.before)}")
        for c in conns.values():
            c.close()


if __name__ == "__main__":
    main()
