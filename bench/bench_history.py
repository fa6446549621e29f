"""The queue's history: pruning done requests, and resolving a new name beside a large negative cache.

    .venv/bin/python bench/bench_history.py [--quick] [--only prune,negcache] [--prune-sizes 100000,200000]

1. ``prune_lookup_requests`` with its defaults on 100,000 and 1,000,000 done requests (quick: 50,000 and
   500,000; at 20,000 the whole table sits in the CPU caches and the per-row cost is a third lower), spread
   over 100 days with 50 requests per completion time (as ``complete_lookups`` settles a batch), one in five
   a not_found answer, all older than the negative-cache period. The figure is the largest size's time and
   its growth over the smallest (10x the rows); beside it, one plain ``DELETE`` of the same rows, same run.
2. Single-call latency (p50, p99) of ``resolve_company_id(customer_name => <a new name each call>)`` through
   the client with 1,000,000 done/not_found requests (quick: 100,000) spread over the last 100 days and
   ANALYZEd, beside the same calls on an empty queue table (another database, calls interleaved in blocks).
"""

from __future__ import annotations

import argparse
import statistics
import time

import psycopg
from common import Report, command, fresh_database, timer
from company_enrichment.db import EnrichmentDB

TIES = 50  # requests settled together share one completed_at


def load_done(uri: str, rows: int, *, newest: str, days: int, not_found_every: int, tag: str) -> None:
    """``rows`` done requests completed between ``newest`` ago and ``newest`` + ``days`` days ago.

    Every ``not_found_every``-th request is a not_found answer (1: all of them); ``TIES`` requests share each
    completion time. Vacuumed, analysed and checkpointed, so the measured call starts from a settled table.
    """
    groups = max(1, rows // TIES)
    with psycopg.connect(uri, autocommit=True) as conn:
        conn.execute("TRUNCATE enterprise.lookup_requests")
        for start in range(0, rows, 500_000):
            stop = min(rows, start + 500_000)
            conn.execute(
                "INSERT INTO enterprise.lookup_requests"
                " (name, normalized_name, status, outcome, company_id, completed_at)"
                " SELECT %(tag)s || i, %(tag)s || i, 'done',"
                "        CASE WHEN i %% %(every)s = 0 THEN 'not_found' ELSE 'found' END,"
                "        CASE WHEN i %% %(every)s = 0 THEN NULL ELSE '600000000' END,"
                "        now() - %(newest)s::interval"
                "              - (i / %(ties)s) * (make_interval(days => %(days)s) / %(groups)s)"
                " FROM generate_series(%(start)s, %(stop)s - 1) AS i",
                {
                    "tag": tag,
                    "every": not_found_every,
                    "newest": newest,
                    "ties": TIES,
                    "days": days,
                    "groups": groups,
                    "start": start,
                    "stop": stop,
                },
            )
        conn.execute("VACUUM ANALYZE enterprise.lookup_requests")
        conn.execute("CHECKPOINT")


def prune_seconds(uri: str, rows: int, *, plain_delete: bool = False) -> float:
    """Seconds for one ``prune_lookup_requests(older_than => '30 days')`` (defaults) over ``rows`` old requests."""
    load_done(uri, rows, newest="31 days", days=100, not_found_every=5, tag="旧历史")
    with psycopg.connect(uri, autocommit=True) as conn, timer() as t:
        if plain_delete:
            deleted = conn.execute(
                "WITH d AS (DELETE FROM enterprise.lookup_requests AS q"
                " WHERE q.status = 'done' AND q.completed_at < now() - interval '30 days'"
                " AND NOT (q.outcome = 'not_found' AND q.completed_at >= now() - interval '30 days')"
                " RETURNING 1) SELECT count(*) FROM d"
            ).fetchone()
        else:
            deleted = conn.execute(
                "SELECT enterprise.prune_lookup_requests(older_than => interval '30 days')"
            ).fetchone()
    assert deleted == (rows,), f"expected {rows} rows deleted, got {deleted}"
    return t[0]


def run_prune(report: Report, *, quick: bool, sizes: tuple[int, ...] | None = None) -> None:
    default = (50_000, 500_000) if quick else (100_000, 1_000_000)
    chosen = ["--prune-sizes", ",".join(map(str, sizes))] if sizes and sizes != default else []
    sizes = sizes or default
    repro = command("bench/bench_history.py", *(["--quick"] if quick else []), "--only", "prune", *chosen)
    print(f"\n== prune_lookup_requests (defaults) on {', '.join(f'{s:,}' for s in sizes)} done requests")
    uri = fresh_database("enrichment_bench_history")
    seconds = {}
    for size in sizes:
        # Median of three below the largest size: a small prune lasts a fraction of a second, and one scheduler
        # hiccup on a shared machine would otherwise decide the growth ratio (the best of three would flatter it).
        seconds[size] = statistics.median(prune_seconds(uri, size) for _ in range(1 if size == max(sizes) else 3))
        print(f"  {size:>9,} rows: {seconds[size]:.2f} s ({size / seconds[size]:,.0f} rows/s)")
    report.series["prune_seconds_by_rows"] = seconds
    largest, smallest = max(sizes), min(sizes)
    delete = prune_seconds(uri, largest, plain_delete=True)
    report.add(
        f"prune_lookup_requests, {largest:,} done requests (batches of 10,000)",
        seconds[largest],
        "s",
        baseline=f"one DELETE of the same rows {delete:.2f} s",
        ratio=seconds[largest] / delete,
        reproduce=repro,
    )
    growth = seconds[largest] / seconds[smallest]
    allowed = 1.2 * largest / smallest
    report.add(
        f"growth of prune time, {smallest:,} -> {largest:,} rows ({largest // smallest}x the rows)",
        growth,
        "x",
        baseline=", ".join(f"{k:,}: {v:.2f} s" for k, v in seconds.items()),
        bar=f"<= {allowed:g}x",
        ok=growth <= allowed,
        reproduce=repro,
    )


def new_name_latencies(
    dbs: dict[str, EnrichmentDB], *, calls: int = 2_200, warmup: int = 200, block: int = 100
) -> dict[str, tuple[float, float]]:
    """p50 and p99 in ms of ``resolve_company_id`` for a name never seen before, one call at a time, per database.

    The databases take turns in blocks of ``block`` calls (the order flips every block), so the load of a
    shared machine falls on all of them alike; the first ``warmup`` calls of each are not counted.
    """
    latencies: dict[str, list[float]] = {key: [] for key in dbs}
    order = list(dbs)
    for start in range(0, calls, block):
        for key in order:
            for i in range(start, min(calls, start + block)):
                name = f"新客户{key}第{i}号有限公司"
                began = time.perf_counter()
                dbs[key].resolve_company_id(customer_name=name)
                latencies[key].append(time.perf_counter() - began)
        order.reverse()
    result = {}
    for key, values in latencies.items():
        counted = sorted(values[warmup:])
        result[key] = (statistics.median(counted) * 1e3, counted[int(len(counted) * 0.99)] * 1e3)
    return result


def run_negcache(report: Report, *, quick: bool) -> None:
    rows = 100_000 if quick else 1_000_000
    repro = command("bench/bench_history.py", *(["--quick"] if quick else []), "--only", "negcache")
    print(f"\n== resolve_company_id of a new name: {rows:,} not_found answers over 100 days vs an empty queue")
    full_uri = fresh_database("enrichment_bench_history")
    empty_uri = fresh_database("enrichment_bench_history_empty")
    # Every answer a not_found one, the newest a minute old: a third of them inside the 30-day negative cache.
    load_done(full_uri, rows, newest="1 minute", days=100, not_found_every=1, tag="无结果")
    with psycopg.connect(empty_uri, autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE enterprise.lookup_requests")
    with EnrichmentDB.connect(full_uri, max_size=1) as full, EnrichmentDB.connect(empty_uri, max_size=1) as empty:
        measured = new_name_latencies({"满": full, "空": empty})
    (full_p50, full_p99), (empty_p50, empty_p99) = measured["满"], measured["空"]
    beside = f"empty queue table, calls interleaved: p50 {empty_p50:.2f} ms, p99 {empty_p99:.2f} ms"
    report.add(
        f"single-call latency p50, new name, {rows:,} not_found requests",
        full_p50,
        "ms",
        baseline=beside,
        ratio=full_p50 / empty_p50,
        reproduce=repro,
    )
    report.add(
        f"single-call latency p99, new name, {rows:,} not_found requests",
        full_p99,
        "ms",
        baseline=beside,
        ratio=full_p99 / empty_p99,
        bar="<= 2 ms",
        ok=full_p99 <= 2.0,
        reproduce=repro,
    )


def run(report: Report, *, quick: bool) -> None:
    run_prune(report, quick=quick)
    run_negcache(report, quick=quick)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="smaller tables")
    parser.add_argument("--only", default="prune,negcache", help="comma-separated: prune, negcache")
    parser.add_argument("--prune-sizes", help="comma-separated row counts for the prune figure")
    args = parser.parse_args()
    report = Report("quick" if args.quick else "full")
    parts = args.only.split(",")
    try:
        if "prune" in parts:
            prune_sizes = tuple(int(s) for s in args.prune_sizes.split(",")) if args.prune_sizes else None
            run_prune(report, quick=args.quick, sizes=prune_sizes)
        if "negcache" in parts:
            run_negcache(report, quick=args.quick)
    finally:
        from common import drop_database

        drop_database("enrichment_bench_history")
        drop_database("enrichment_bench_history_empty")
