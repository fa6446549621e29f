"""How big ``enterprise.lookup_requests`` is per million requests (issue 14, docs/scaling-out.md): the heap, each
index and the total (``pg_total_relation_size``), for a backlog (every request pending) and for a history (every
request done: 20 % found, 80 % not found, as a queue of names nobody curated tends to be).

A scratch database on the project-local cluster, deployed with sqitch; the rows are inserted in one statement per
state through the table's triggers, names from the benchmarks' generator (Chinese company names, 10-15 characters),
then VACUUM ANALYZE. Sizes scale linearly with the rows, so the figure is given per million. It also times the
view ``lookup_queue_stats``, which counts done requests and so reads the whole table.

    .venv/bin/python bench/bench_queue_size.py            # 1,000,000 requests per state
    .venv/bin/python bench/bench_queue_size.py --quick    # 200,000
"""

from __future__ import annotations

import argparse
import time

import psycopg
from common import command, drop_database, fresh_database

DB = "bench_queue_size"

INSERT = {
    "pending": """
        INSERT INTO enterprise.lookup_requests (name, normalized_name)
        SELECT n, enterprise.normalize_name(n)
          FROM (SELECT %(prefix)s || g || '号' || (ARRAY['科技','贸易','实业','物流'])[g %% 4 + 1] || '有限公司' AS n
                  FROM generate_series(1, %(rows)s) AS g) AS names
    """,
    "done": """
        INSERT INTO enterprise.lookup_requests (name, normalized_name, status, attempts, outcome, company_id,
                                                official_name, completed_at, updated_at)
        SELECT n, enterprise.normalize_name(n), 'done', 1,
               CASE WHEN g %% 5 = 0 THEN 'found' ELSE 'not_found' END,
               CASE WHEN g %% 5 = 0 THEN (600000000 + g)::text END,
               CASE WHEN g %% 5 = 0 THEN n END,
               now() - (g %% 90) * interval '1 day', now()
          FROM (SELECT g, %(prefix)s || g || '号' || (ARRAY['科技','贸易','实业','物流'])[g %% 4 + 1] || '有限公司' AS n
                  FROM generate_series(1, %(rows)s) AS g) AS names
    """,
}

SIZES = """
    SELECT c.relname, pg_relation_size(c.oid)
      FROM pg_class AS c
     WHERE c.oid = 'enterprise.lookup_requests'::regclass
        OR c.oid IN (SELECT indexrelid FROM pg_index WHERE indrelid = 'enterprise.lookup_requests'::regclass)
     ORDER BY 1
"""


def measure(uri: str, state: str, rows: int) -> None:
    with psycopg.connect(uri, autocommit=True) as conn:
        conn.execute("TRUNCATE enterprise.lookup_requests")
        started = time.perf_counter()
        conn.execute(INSERT[state], {"rows": rows, "prefix": "上海市示例" if state == "pending" else "北京市示例"})
        took = time.perf_counter() - started
        conn.execute("VACUUM ANALYZE enterprise.lookup_requests")
        parts = conn.execute(SIZES).fetchall()
        row = conn.execute("SELECT pg_total_relation_size('enterprise.lookup_requests')").fetchone()
        assert row is not None
        total = int(row[0])
        stats = []
        for _ in range(3):  # what every worker's /metrics scrape reads
            begun = time.perf_counter()
            conn.execute("SELECT * FROM enterprise.lookup_queue_stats").fetchall()
            stats.append(time.perf_counter() - begun)
    per_million = 1_000_000 / rows / 2**20
    print(f"\n{rows:,} requests, all {state} (inserted in {took:.1f} s, {rows / took:,.0f} rows/s):")
    for name, size in parts:
        print(f"  {name:<40} {int(size) * per_million:8.1f} MB per million")
    print(f"  {'pg_total_relation_size':<40} {total * per_million:8.1f} MB per million ({total / rows:.0f} B/row)")
    print(f"  lookup_queue_stats (the view every /metrics scrape reads): {min(stats) * 1000:.0f} ms, best of 3")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="200,000 requests per state instead of 1,000,000")
    parser.add_argument("--rows", type=int, default=None, help="requests per state")
    args = parser.parse_args()
    rows = args.rows or (200_000 if args.quick else 1_000_000)
    uri = fresh_database(DB)
    try:
        for state in ("pending", "done"):
            measure(uri, state, rows)
    finally:
        drop_database(DB)
    options = ["--rows", str(rows)] if args.rows else (["--quick"] if args.quick else [])
    print(f"\nreproduce: {command('bench/bench_queue_size.py', *options)}")


if __name__ == "__main__":
    main()
