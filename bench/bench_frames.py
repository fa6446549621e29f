"""resolve_frame on a big DataFrame: rows a second and the process's peak RSS (a benchmark, not a test).

    LOCALDB_PORT=54346 make deploy   # or any database where the plan is deployed, in WDH_DATABASE__URI
    . scripts/dbenv.sh
    .venv/bin/python bench/bench_frames.py [--rows 1000000] [--kind pandas|polars] [--jobs 1] [--plan-only]

The frame mixes names that repeat (a few thousand distinct, so resolution queues each once), fresh plan codes
without a name (each a keyed TEMP id), blank strings, None and NaN gaps. Each run uses a fresh tag, so its
unknown names and keys are new. Prints the reproducing command, the time to build the frame, rows/s of
resolve_frame (Arrow conversion + SQL + building the output frame) and peak RSS (ru_maxrss).

Then, outside the timed region and after peak RSS is taken, it checks the answers: the columns resolve_frame added
must equal, row for row, what enterprise.resolve_company_ids (preview_company_ids with --plan-only) returns when
called directly (EnrichmentDB.resolve_rows) on the same records, built from the frame's values in plain Python. No
EQC call is made (an EnrichmentDB, no worker), so the second call answers as the first: internal and learned hits,
the same keyed TEMP ids, pending_lookup with the request_id the first call queued. A mismatch raises, naming the
first differing row.
"""

from __future__ import annotations

import argparse
import math
import os
import resource
import sys
import time
import uuid
from collections import Counter
from typing import Any

from company_enrichment.columns import RESULT_FIELDS, RecordColumns, ResultRow, chunk_bounds
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


def _text(value: Any) -> str | None:
    """A frame value as the record field a caller would pass: None, NaN and blank strings are absent; a whole float
    (the account numbers) is written without ".0"."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    text = str(value)
    return text if text.strip() else None


def _column(df: Any, kind: str, name: str) -> list[Any]:
    """A column as a Python list, pandas' NA (the Int64 request_id's gaps) as None."""
    if kind == "polars":
        return list(df[name].to_list())
    import pandas as pd

    return [None if v is pd.NA else v for v in df[name].tolist()]


def check_against_direct_calls(db: EnrichmentDB, df: Any, out: Any, kind: str, preview: bool) -> Counter[str]:
    """The added columns of ``out`` must equal, row for row, resolve_company_ids (or preview_company_ids) called
    directly on ``df``'s records; raises with the first differing row. Returns how many rows had each status."""
    plans, names, accounts = (
        [_text(v) for v in _column(df, kind, c)] for c in ("plan_code", "customer_name", "account_number")
    )
    records = RecordColumns(plans, names, None, accounts)
    got = list(zip(*(_column(out, kind, name) for name in RESULT_FIELDS), strict=True))
    direct: list[ResultRow] = []
    for start, stop in chunk_bounds(len(records), 5_000):
        direct.extend(db.resolve_rows(records.slice(start, stop), preview=preview))
    if len(got) != len(direct):
        raise AssertionError(f"resolve_frame gave {len(got):,} rows, the direct calls {len(direct):,}")
    for i, (a, b) in enumerate(zip(got, direct, strict=True)):
        if tuple(a) != tuple(b):
            raise AssertionError(
                f"row {i}: resolve_frame gave {dict(zip(RESULT_FIELDS, a, strict=True))}, "
                f"{'preview' if preview else 'resolve'}_company_ids called directly gave "
                f"{dict(zip(RESULT_FIELDS, b, strict=True))} for {records.record(i)}"
            )
    return Counter(str(row[1]) for row in direct)


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
        # Peak RSS is taken before the check, which holds a second copy of the answers.
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        assert len(out) == args.rows
        rate = args.rows / elapsed
        print(f"resolve_frame: {args.rows:,} rows in {elapsed:.1f}s = {rate:,.0f} rows/s (jobs={args.jobs})")
        print(f"peak RSS: {peak:,.0f} MiB")
        started = time.perf_counter()
        statuses = check_against_direct_calls(db, df, out, args.kind, args.plan_only)
        base = "preview" if args.plan_only else "resolve"
        print(
            f"check passed: the {len(RESULT_FIELDS)} added columns equal {base}_company_ids called directly, "
            f"row for row ({args.rows:,} rows, {time.perf_counter() - started:.1f}s, not timed above; "
            + ", ".join(f"{status} {n:,}" for status, n in sorted(statuses.items()))
            + ")"
        )


if __name__ == "__main__":
    main()
