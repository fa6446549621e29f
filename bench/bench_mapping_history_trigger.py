#!/usr/bin/env python3
"""What the mapping history trigger costs a large load: upsert_internal_mappings of N new plan rows (inserts), then
ANALYZE and the same N rows with other ids (updates), with the history triggers enabled and disabled, rounds
interleaved in the same run. Everything happens in transactions that are rolled back (the triggers are disabled
inside them), so the database is left as it was. Needs the table owner (the local cluster's superuser).

    . scripts/dbenv.sh && .venv/bin/python bench/bench_mapping_history_trigger.py [N] [ROUNDS]
"""

from __future__ import annotations

import os
import statistics
import sys
import time

import psycopg

LOAD = "SELECT (enterprise.upsert_internal_mappings(%s, %s, %s)).inserted"


def one_round(uri: str, n: int, *, history: bool) -> tuple[float, float]:
    aliases = [f"BENCH-HIST-{i}" for i in range(n)]
    kinds = ["plan"] * n
    with psycopg.connect(uri) as conn:  # one transaction, rolled back at the end
        if not history:
            conn.execute("ALTER TABLE enterprise.company_mapping DISABLE TRIGGER USER")
        started = time.perf_counter()
        conn.execute(LOAD, (aliases, [f"{i:09d}" for i in range(n)], kinds))
        inserted = time.perf_counter() - started
        # Fresh statistics first: without them a 100,000-row reload in the same transaction plans badly
        # (minutes, with or without the trigger).
        conn.execute("ANALYZE enterprise.company_mapping")
        started = time.perf_counter()
        conn.execute(LOAD, (aliases, [f"{i + 1:09d}" for i in range(n)], kinds))
        updated = time.perf_counter() - started
        conn.rollback()
    return inserted, updated


def main() -> None:
    uri = os.environ["DATABASE_URI"]
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    times: dict[bool, list[tuple[float, float]]] = {True: [], False: []}
    for _ in range(rounds):
        for history in (False, True):
            times[history].append(one_round(uri, n, history=history))
    for phase, index in (("insert", 0), ("update", 1)):
        without = statistics.median(t[index] for t in times[False])
        with_ = statistics.median(t[index] for t in times[True])
        print(
            f"{phase} {n:,} rows: without history {without:.2f} s, with history {with_:.2f} s, "
            f"ratio {with_ / without:.2f} (median of {rounds})"
        )
    print(f"reproduce: . scripts/dbenv.sh && .venv/bin/python bench/bench_mapping_history_trigger.py {n} {rounds}")


if __name__ == "__main__":
    main()
