"""Replica reads (issue 14): rows/s of batch resolution through the client, primary alone versus primary + one
streaming hot standby on the same machine, and the share of records that still reach the primary.

    .venv/bin/python bench/bench_replica.py [--quick] [--records N] [--batch 5000] [--rounds 2]

The standby is scripts/standby.sh's (started here if it is not running, and removed again at the end if this
script started it). The records are bench_batch_mix.py's pipeline mix (every record repeated 1 to 7 times, a
fifth of the names unknown, 5% without a customer name) over 50,000 curated mappings and 5,000 learned names,
resolved with ``CompanyEnrichmentService.resolve_batches`` (the path of ``resolve``, ``resolve_frame`` and the
Dagster op), in batches of ``--batch``, one job:

- first run: records never seen (each mode its own unknown names, so both queue as much);
- re-run: the same records again (names already queued, TEMP keys remembered): a pipeline run again;
- the demo's data: examples/records.csv and examples/review_records.csv over examples/mappings.csv, twice; then
  once more on a database where scripts/demo.sh ran (EQC answered the queued names, the reviews were decided).

Both standby and primary share the machine's cores, so the standby cannot add capacity here: the figures give the
replica path's overhead (one WAL-position read on the primary, one replay check and the preview on the standby,
then the primary's call on the records left) and the share of records that reach the primary, which is what a
standby on a machine of its own takes off the primary.
"""

from __future__ import annotations

import argparse
import csv
import os
import shlex
import subprocess
import tempfile
import time

from bench_batch_mix import make_mix
from common import ROOT, Records, Report, command, drop_database, fresh_database, load_mappings, timer
from company_enrichment.columns import RecordColumns, chunk_bounds
from company_enrichment.db import EnrichmentDB
from company_enrichment.models import MappingRow, ReplicaStats
from company_enrichment.replicas import ReplicaRouter
from company_enrichment.service import CompanyEnrichmentService

DATABASE = "enrichment_bench_replica"
DEMO_DATABASE = "enrichment_bench_replica_demo"
AFTER_DEMO_DATABASE = "enrichment_bench_replica_after_demo"
STANDBY = str(ROOT / "scripts/standby.sh")


def standby_uri(name: str) -> tuple[str, bool]:
    """The harness standby's URI for database ``name``, and whether this call started the standby."""
    running = subprocess.run([STANDBY, "status"], capture_output=True, text=True, check=False).returncode == 0
    subprocess.run([STANDBY, "start"], check=True, stdout=subprocess.DEVNULL)
    env = subprocess.run([STANDBY, "env"], check=True, capture_output=True, text=True).stdout
    uri = next(shlex.split(line.partition("=")[2])[0] for line in env.splitlines() if "STANDBY_URI=" in line)
    return uri.replace("/enrichment?", f"/{name}?"), not running


def wait_replayed() -> None:
    subprocess.run([STANDBY, "wait"], check=True)


def columns_of(records: Records) -> RecordColumns:
    return RecordColumns(records.plan_codes, records.customer_names, records.account_names, records.account_numbers)


def resolve_all(service: CompanyEnrichmentService, columns: RecordColumns, batch: int) -> float:
    """Seconds to resolve every record in batches of ``batch`` (one job)."""
    parts = [columns.slice(a, b) for a, b in chunk_bounds(len(columns), batch)]
    with timer() as t:
        done = sum(len(rows) for rows in service.resolve_batches(parts))
    assert done == len(columns)
    return t[0]


def delta(after: ReplicaStats, before: ReplicaStats) -> tuple[int, int, int]:
    """(records, records that reached the primary, batches not read on the standby) between two snapshots."""
    return (
        after.records - before.records,
        after.records_to_primary - before.records_to_primary,
        (after.batches - after.batches_on_replica) - (before.batches - before.batches_on_replica),
    )


def run(report: Report, *, quick: bool, records: int | None = None, batch: int = 5_000, rounds: int = 2) -> None:
    total = records or (50_000 if quick else 200_000)
    mappings, learned = 50_000, 5_000
    repro = command(
        "bench/bench_replica.py", *(["--quick"] if quick else []), "--records", str(total), "--batch", str(batch)
    )
    print(f"\n== replica reads: {total:,} records, batches of {batch:,}, primary alone vs primary + 1 standby")
    uri = fresh_database(DATABASE)
    demo_uri = fresh_database(DEMO_DATABASE)
    started = False
    try:
        load_mappings(uri, mappings, learned=learned)
        with (
            EnrichmentDB.connect(demo_uri, max_size=2) as db,
            (ROOT / "examples/mappings.csv").open(encoding="utf-8", newline="") as f,
        ):
            db.upsert_internal_mappings([MappingRow(**row) for row in csv.DictReader(f)])  # type: ignore[arg-type]
        standby, started = standby_uri(DATABASE)
        wait_replayed()
        with (
            EnrichmentDB.connect(uri, max_size=4) as db,
            ReplicaRouter([standby], max_wait=5.0, pool_max_size=2) as replicas,
        ):
            alone = CompanyEnrichmentService(db, None)
            combined = CompanyEnrichmentService(db, None, replicas=replicas)
            modes: dict[str, CompanyEnrichmentService] = {"primary alone": alone, "primary + standby": combined}
            # Warm up both paths (plans, caches, the standby's pool).
            warm = columns_of(make_mix(20_000, mappings=mappings, learned=learned, run="warm"))
            for service in modes.values():
                resolve_all(service, warm, batch)
            first: dict[str, list[float]] = {m: [] for m in modes}
            again: dict[str, list[float]] = {m: [] for m in modes}
            shares: dict[str, list[tuple[int, int, int]]] = {"first": [], "again": []}
            for r in range(rounds):
                order = list(modes) if r % 2 == 0 else list(reversed(modes))
                for mode in order:
                    columns = columns_of(make_mix(total, mappings=mappings, learned=learned, run=f"{mode[:7]}{r}"))
                    before = replicas.stats
                    first[mode].append(total / resolve_all(modes[mode], columns, batch))
                    if mode == "primary + standby":
                        shares["first"].append(delta(replicas.stats, before))
                    wait_replayed()
                    for m in order:  # the same records again, in each mode: the state is the same for both
                        before = replicas.stats
                        again[m].append(total / resolve_all(modes[m], columns, batch))
                        if m == "primary + standby":
                            shares["again"].append(delta(replicas.stats, before))
            for label, rates in (("first run", first), ("re-run", again)):
                base = max(rates["primary alone"])
                best = max(rates["primary + standby"])
                report.add(f"{label}: primary alone", base, "rows/s", reproduce=repro)
                report.add(f"{label}: primary + 1 standby", best, "rows/s", baseline="primary alone", ratio=best / base)
            for label, key in (("first run", "first"), ("re-run", "again")):
                n, to_primary, missed = (sum(x) for x in zip(*shares[key], strict=True))
                report.add(
                    f"{label}: records that reached the primary (mix)",
                    100.0 * to_primary / n,
                    "%",
                    baseline=f"{to_primary:,} of {n:,}; {missed} batch(es) not read on the standby",
                )
        demo(report, demo_uri, batch, repro)
    finally:
        drop_database(DATABASE)
        drop_database(DEMO_DATABASE)
        drop_database(AFTER_DEMO_DATABASE)
        if started:
            subprocess.run([STANDBY, "remove"], check=False)


def demo(report: Report, uri: str, batch: int, repro: str) -> None:
    """The share of records reaching the primary on the demo's files, first run and re-run (no EQC in between)."""
    files = [ROOT / "examples/records.csv", ROOT / "examples/review_records.csv"]
    rows: list[dict[str, str]] = []
    for path in files:
        with path.open(encoding="utf-8", newline="") as f:
            rows += list(csv.DictReader(f))

    def column(name: str) -> list[str | None]:
        return [row.get(name) or None for row in rows]

    columns = RecordColumns(column("plan_code"), column("customer_name"), column("account_name"), None)
    if any(row.get("account_number") for row in rows):
        columns = RecordColumns(
            column("plan_code"), column("customer_name"), column("account_name"), column("account_number")
        )
    standby, _ = standby_uri(DEMO_DATABASE)
    wait_replayed()
    with (
        EnrichmentDB.connect(uri, max_size=2) as db,
        ReplicaRouter([standby], max_wait=5.0, pool_max_size=1) as replicas,
    ):
        service = CompanyEnrichmentService(db, None, replicas=replicas)
        for label in ("first run", "re-run"):
            before = replicas.stats
            resolve_all(service, columns, batch)
            n, to_primary, _ = delta(replicas.stats, before)
            report.add(
                f"demo data, {label}: records that reached the primary",
                100.0 * to_primary / n,
                "%",
                baseline=f"{to_primary:,} of {n:,} (examples/records.csv + review_records.csv)",
            )
            wait_replayed()

    # The demo end to end (stand-in EQC, worker, scripted reviewer), then its files once more through the standby.
    env = {k: v for k, v in os.environ.items() if k != "WDH_DATABASE__URI"}
    with tempfile.TemporaryDirectory() as out:
        env |= {"DEMO_DATABASE": AFTER_DEMO_DATABASE, "DEMO_OUT": out}
        subprocess.run([str(ROOT / "scripts/demo.sh")], check=True, env=env, stdout=subprocess.DEVNULL)
    after = uri.replace(f"/{DEMO_DATABASE}?", f"/{AFTER_DEMO_DATABASE}?")
    standby, _ = standby_uri(AFTER_DEMO_DATABASE)
    wait_replayed()
    with (
        EnrichmentDB.connect(after, max_size=2) as db,
        ReplicaRouter([standby], max_wait=5.0, pool_max_size=1) as replicas,
    ):
        service = CompanyEnrichmentService(db, None, replicas=replicas)
        resolve_all(service, columns, batch)
        stats = replicas.stats
        report.add(
            "demo data, after make demo: records that reached the primary",
            100.0 * stats.records_to_primary / stats.records,
            "%",
            baseline=f"{stats.records_to_primary:,} of {stats.records:,} (EQC answered, reviews decided)",
            reproduce=repro,
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="50,000 records (default 200,000)")
    parser.add_argument("--records", type=int, default=None, help="records per run")
    parser.add_argument("--batch", type=int, default=5_000, help="records per batch")
    parser.add_argument("--rounds", type=int, default=2, help="rounds of both modes, interleaved")
    args = parser.parse_args()
    started = time.monotonic()
    report = Report("quick" if args.quick else "full")
    run(report, quick=args.quick, records=args.records, batch=args.batch, rounds=args.rounds)
    print(f"\n(done in {time.monotonic() - started:.0f} s)")


if __name__ == "__main__":
    main()
