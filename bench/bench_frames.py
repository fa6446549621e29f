"""resolve_frame on a big DataFrame: rows a second and the process's peak RSS (a benchmark, not a test).

    LOCALDB_PORT=54346 make deploy   # or any database where the plan is deployed, in WDH_DATABASE__URI
    . scripts/dbenv.sh
    .venv/bin/python bench/bench_frames.py [--rows 1000000] [--kind pandas|polars] [--jobs 1] [--plan-only]

The frame mixes names that repeat (a few thousand distinct, so resolution queues each once), fresh plan codes
without a name (each a keyed TEMP id), blank strings, None and NaN gaps. Each run uses a fresh tag, so its
unknown names and keys are new. Prints the reproducing command, the time to build the frame, rows/s of
resolve_frame (Arrow conversion + SQL + building the output frame) and peak RSS (ru_maxrss).
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import time
import uuid
from typing import Any

from company_enrichment.db import EnrichmentDB
from company_enrichment.frames import resolve_frame


def build(kind: str, rows: int, tag: str) -> Any:
    import numpy as np

    rng = np.random.default_rng(20261202)
    k = rng.integers(0, 5_000, rows)
    names = np.char.add(np.char.add(f"{tag}公司", k.astype(str)), "有限公司").astype(object)
    names[k % 10 == 0] = None
    names[k % 10 == 1] = "  "
    plans = np.char.add(f"{tag}-P", np.arange(rows).astype(str)).astype(object)
    plans[k % 10 > 1] = None
    accounts = np.where(k % 3 == 0, np.nan, k.astype(float))
    if kind == "polars":
        import polars as pl

        return pl.DataFrame(
            {"plan_code": plans.tolist(), "customer_name": names.tolist(), "account_number": accounts},
            schema={"plan_code": pl.String, "customer_name": pl.String, "account_number": pl.Float64},
        )
    import pandas as pd  # type: ignore[import-untyped]

    return pd.DataFrame({"plan_code": plans, "customer_name": names, "account_number": accounts})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--kind", choices=("pandas", "polars"), default="pandas")
    parser.add_argument("--jobs", type=int, default=1)
    parser.add_argument("--plan-only", action="store_true")
    args = parser.parse_args()
    uri = os.environ.get("WDH_DATABASE__URI")
    if not uri:
        sys.exit("WDH_DATABASE__URI is not set: `. scripts/dbenv.sh` first")
    print("command: .venv/bin/python bench/bench_frames.py " + " ".join(sys.argv[1:]))
    tag = f"bf{uuid.uuid4().hex[:8]}"
    started = time.perf_counter()
    df = build(args.kind, args.rows, tag)
    print(f"built a {args.kind} frame of {args.rows:,} rows in {time.perf_counter() - started:.1f}s")
    with EnrichmentDB.connect(uri, max_size=args.jobs + 1) as db:
        started = time.perf_counter()
        out = resolve_frame(df, service_or_db=db, jobs=args.jobs, plan_only=args.plan_only)
        elapsed = time.perf_counter() - started
    assert len(out) == args.rows
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"resolve_frame: {args.rows:,} rows in {elapsed:.1f}s = {args.rows / elapsed:,.0f} rows/s (jobs={args.jobs})")
    print(f"peak RSS: {peak:,.0f} MiB")


if __name__ == "__main__":
    main()
