"""normalize_name per distinct name of the batch mix, this code beside a release, interleaved on one machine.

    .venv/bin/python bench/bench_normalize.py [--before @v0.4.0] [--rounds 4]

The distinct customer names of bench_batch_mix.py's 200,000-record mix (a quarter of them decorated) go through
``enterprise.normalize_name`` in one statement per database, the two databases taking turns; the names the fast path
cannot take (a character other than ASCII letters, digits and CJK ideographs) are also timed alone. The cost of
passing the names in (``length(n)`` over the same array) is printed beside them. Best of the rounds, microseconds
per name. Fails if the two databases give any name another key.
"""

from __future__ import annotations

import argparse
import time

import psycopg
from bench_batch_mix import make_mix
from common import command, head_beside

FAST_PATH = "n ~ '^[0-9A-Za-z\\u4e00-\\u9fff]+$'"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--before", default="@v0.4.0", help="the release beside this code (sqitch change or @tag)")
    parser.add_argument("--rounds", type=int, default=4, help="rounds, alternating the databases (default 4)")
    args = parser.parse_args()
    records = make_mix(200_000, mappings=200_000, learned=20_000, run="normalize")
    names = sorted({n for n in records.customer_names if n})
    with head_beside("enrichment_bench_normalize", args.before) as uris:
        conns = {label: psycopg.connect(uri, autocommit=True) for label, uri in uris.items()}
        outside = f"SELECT n FROM unnest(%b::text[]) n WHERE NOT {FAST_PATH}"
        full = [r[0] for r in conns["HEAD"].execute(outside, (names,))]
        print(f"  {len(names):,} distinct names, {len(full):,} outside the fast path's characters")
        best: dict[str, dict[str, float]] = {label: {} for label in conns}
        for r in range(args.rounds):
            for label in list(conns) if r % 2 else list(reversed(conns)):
                for part, arr, expr in (
                    ("passing them in", names, "length(n)"),
                    ("all names", names, "enterprise.normalize_name(n)"),
                    ("full rules", full, "enterprise.normalize_name(n)"),
                ):
                    start = time.perf_counter()
                    conns[label].execute(f"SELECT count({expr}) FROM unnest(%b::text[]) n", (arr,)).fetchone()
                    us = (time.perf_counter() - start) / len(arr) * 1e6
                    best[label][part] = min(us, best[label].get(part, us))
        keys = [
            c.execute("SELECT array_agg(enterprise.normalize_name(n)) FROM unnest(%b::text[]) n", (names,)).fetchone()
            for c in conns.values()
        ]
        if keys[0] != keys[1]:
            raise SystemExit("the two databases give some names another key")
        for label in conns:
            print(f"  {label}: " + ", ".join(f"{part} {us:.2f} us" for part, us in best[label].items()))
        for part in ("all names", "full rules"):
            print(f"  {part}: HEAD / {args.before} time {best['HEAD'][part] / best[args.before][part]:.2f}x")
        print(f"  same key for every name: {len(names):,} names")
        print(f"  reproduce: {command('bench/bench_normalize.py', '--before', args.before)}")
        for c in conns.values():
            c.close()


if __name__ == "__main__":
    main()
