"""The command line's memory on a big file, and EQC economy in a demo-style run.

    .venv/bin/python bench/bench_client.py [--quick]

7. Peak RSS of ``company-enrichment resolve`` on a 1,000,000-row CSV (it streams in batches).
8. EQC requests served by the stand-in per distinct unresolved normalized name, from its own counter, over a
   demo-style run: resolve examples/records.csv with budget 5, drain the queue, resolve again.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import tempfile
import time
from datetime import timedelta
from pathlib import Path

from common import ROOT, Report, command, fresh_database, load_mappings, make_records, timer, write_csv
from company_enrichment.db import EnrichmentDB
from company_enrichment.eqc import EQCClient
from company_enrichment.models import CompanyRecord
from company_enrichment.ratelimit import DatabaseRateLimiter
from company_enrichment.service import CompanyEnrichmentService
from company_enrichment.standin import EQCStandin


def _vm_hwm_kb(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except (FileNotFoundError, ProcessLookupError):
        pass
    return 0


def run_memory(report: Report, *, quick: bool) -> None:
    rows = 200_000 if quick else 1_000_000
    repro = command("bench/bench_client.py", *(["--quick"] if quick else []))
    print(f"\n== peak RSS of `company-enrichment resolve` on a {rows:,}-row CSV")
    uri = fresh_database("enrichment_bench_cli")
    load_mappings(uri, 100_000, learned=10_000)
    with tempfile.TemporaryDirectory() as tmp:
        source = Path(tmp) / "records.csv"
        write_csv(source, make_records(rows, mappings=100_000, learned=10_000, run="cli"))
        env = {**os.environ, "WDH_DATABASE__URI": uri, "WDH_COMPANY_ENRICHMENT_ENABLED": "false"}
        with timer() as t:
            process = subprocess.Popen(
                [str(ROOT / ".venv/bin/company-enrichment"), "resolve", str(source), "-o", str(Path(tmp) / "out.csv")],
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            # The child's own high-water mark, read from /proc while it runs (VmHWM of the process after exec;
            # rusage would also count the benchmark's own memory, which a forked child starts out sharing).
            peak_kb = 0
            while process.poll() is None:
                peak_kb = max(peak_kb, _vm_hwm_kb(process.pid))
                time.sleep(0.05)
        if process.returncode != 0:
            raise RuntimeError(f"company-enrichment resolve failed with exit code {process.returncode}")
        peak_mb = peak_kb / 1024
    report.add(
        f"peak RSS of `resolve` on {rows:,} rows",
        peak_mb,
        "MB",
        baseline=f"{rows / t[0]:,.0f} rows/s through the CLI",
        bar="<= 300 MB",
        ok=peak_mb <= 300,
        reproduce=repro,
    )


def run_economy(report: Report, *, quick: bool) -> None:
    import csv

    repro = command("bench/bench_client.py", *(["--quick"] if quick else []))
    print("\n== EQC economy over a demo-style run (examples/)")
    uri = fresh_database("enrichment_bench_eqc")
    with open(ROOT / "examples/records.csv", encoding="utf-8", newline="") as f:
        records = [CompanyRecord(**{k: (v or None) for k, v in row.items()}) for row in csv.DictReader(f)]
    with open(ROOT / "examples/mappings.csv", encoding="utf-8", newline="") as f:
        from company_enrichment.models import MappingRow

        mappings = [MappingRow(**row) for row in csv.DictReader(f)]
    with EnrichmentDB.connect(uri) as db, EQCStandin(ROOT / "examples/eqc_fixtures.json").start() as standin:
        db.upsert_internal_mappings(mappings)
        eqc = EQCClient(standin.url, standin.token, rate_limiter=DatabaseRateLimiter(db, 60_000))
        service = CompanyEnrichmentService(db, eqc, sync_lookup_budget=5, lookup_retry_delay=timedelta(0))
        first = service.resolve_batch(records)
        service.process_lookup_queue(batch_size=50)
        second = CompanyEnrichmentService(db, eqc).resolve_batch(records)
        eqc.close()
        stats = standin.stats()
    looked_up = len({r.request_id for r in first if r.request_id is not None}) + sum(
        1 for r in first if r.status.value == "success_external"
    )
    per_name = max(stats.search_key_counts.values(), default=0)
    report.add(
        "EQC searches per distinct unresolved name",
        stats.search_requests / max(1, len(stats.search_key_counts)),
        "searches/name",
        baseline=(
            f"{stats.search_requests} searches for {len(stats.search_key_counts)} names, at most {per_name} for one;"
            f" {stats.detail_requests} detail requests; still pending after the drain:"
            f" {sum(1 for r in second if r.status.value == 'pending_lookup')}"
        ),
        bar="exactly 1",
        ok=per_name == 1 and stats.search_requests == len(stats.search_key_counts) and looked_up > 0,
        reproduce=repro,
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    report = Report("quick" if args.quick else "full")
    run_memory(report, quick=args.quick)
    run_economy(report, quick=args.quick)
