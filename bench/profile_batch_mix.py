"""A CPU profile of the backend while it resolves the mix of ``bench_batch_mix.py``, one connection.

    make bench-profile [ARGS="--records 200000 --batch 20000 --flat"]
    .venv/bin/python bench/profile_batch_mix.py [--records 200000] [--batch 20000] [--flat]

Loads 200,000 curated and 20,000 learned mappings into a scratch database, warms the connection up, then runs
``perf record`` on that connection's backend (and nothing else) while it resolves ``--records`` records of the mix in
batches of ``--batch``, and prints ``perf report``'s top symbols with the backend's CPU per record beside them.

By default the call graph is unwound from DWARF (``--call-graph dwarf``), so the report shows inclusive shares
(``btgettuple`` with the key comparisons under it, ``heap_form_minimal_tuple`` for the rows copied into the CTEs'
tuplestores and hash tables); PostgreSQL is built without frame pointers, so ``-g`` alone cannot. ``--flat`` samples
without a call graph at a higher rate: self time only, more samples. Needs ``perf`` and a local cluster, which
``make bench-profile`` installs and starts (Debian's linux-perf, through ``scripts/bootstrap.sh``); not part of
``bench/run.py``.
"""

from __future__ import annotations

import argparse
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psycopg
from bench_batch_mix import batch_seconds, make_mix
from common import backend_seconds, drop_database, fresh_database, load_mappings, local_backend

MAPPINGS = 200_000
LEARNED = 20_000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--records", type=int, default=200_000, help="records resolved while perf records")
    parser.add_argument("--batch", type=int, default=20_000, help="records per call")
    parser.add_argument("--flat", action="store_true", help="no call graph: self time only, sampled at 999 Hz")
    parser.add_argument("--top", type=int, default=40, help="symbols to print")
    args = parser.parse_args()
    if shutil.which("perf") is None:
        sys.exit("perf is not installed: run make bench-profile, which installs it (Debian's linux-perf)")

    uri = fresh_database("enrichment_bench_profile")
    try:
        load_mappings(uri, MAPPINGS, learned=LEARNED)
        with psycopg.connect(uri) as conn, tempfile.TemporaryDirectory() as tmp:
            pid = local_backend(conn)
            if pid is None:
                sys.exit("the database's server is not a local PostgreSQL process: perf cannot follow its backend")
            batch_seconds(conn, make_mix(20_000, mappings=MAPPINGS, learned=LEARNED, run="warm"), 5_000)
            records = make_mix(args.records, mappings=MAPPINGS, learned=LEARNED, run="profile")
            data = Path(tmp) / "perf.data"
            graph = ["-F", "999"] if args.flat else ["--call-graph", "dwarf,8192", "-F", "499"]
            perf = subprocess.Popen(
                ["perf", "record", *graph, "-p", str(pid), "-o", str(data)],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            time.sleep(1.0)  # perf attaches
            cpu0 = backend_seconds(pid)
            seconds = batch_seconds(conn, records, args.batch)
            cpu = backend_seconds(pid) - cpu0
            perf.send_signal(signal.SIGINT)
            perf.wait()
            print(
                f"{args.records:,} records in batches of {args.batch:,}: {args.records / seconds:,.0f} rows/s,"
                f" backend {cpu / args.records * 1e6:.1f} us a record"
            )
            report = subprocess.run(
                [
                    "perf",
                    "report",
                    "-i",
                    str(data),
                    "--no-children" if args.flat else "--children",
                    "--sort",
                    "symbol",
                    "-g",
                    "none",
                    "--stdio",
                ],
                capture_output=True,
                text=True,
                check=True,
            ).stdout
            lines = report.splitlines()
            print("\n".join(line for line in lines if line.startswith("# Samples")))
            # Symbols perf could not name (bare addresses) say nothing; leave them out.
            named = [line.rstrip() for line in lines if line.strip()[:1].isdigit() and "] 0x" not in line]
            print("\n".join(named[: args.top]))
    finally:
        drop_database("enrichment_bench_profile")


if __name__ == "__main__":
    main()
