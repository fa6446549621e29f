"""The command line on a big file: its speed beside the SQL batch, --jobs 2 beside one connection, its memory;
and EQC economy in a demo-style run.

    .venv/bin/python bench/bench_client.py [--quick] [--only cli,economy] [--before SRC]

7. ``company-enrichment resolve`` on a 1,000,000-row CSV (quick: 200,000), in one run, runs interleaved as
   SQL, CLI jobs=1, CLI jobs=2, CLI jobs=2, CLI jobs=1, SQL (so drift in the machine's load falls on each alike),
   each on a fresh copy of the mix (its unknown names are new, so every run queues as many):
   - the CLI on one connection against the SQL batch rate: the same records, already in memory as columns, sent
     by ``EnrichmentDB.resolve_rows`` in batches of 5,000 (the CLI's batch) over one connection, one after another;
   - ``--jobs 2`` against ``--jobs 1``;
   - the most ``--jobs 2`` could reach against ``--jobs 1`` on this machine's cores, from the CPU the runs used
     (the whole machine's, from /proc/stat, and the command's own): every core busy at jobs 2's CPU per row, over
     the jobs 1 rate; with the share of that ceiling the run reached;
   - peak RSS of each CLI run (it streams in batches).
   ``--before SRC``: also run the command line of another source tree (``SRC/pyclient``, e.g. a checkout of main)
   at jobs=1 in the same run, for before/after figures.
8. EQC requests served by the stand-in per distinct unresolved normalized name, from its own counter, over a
   demo-style run: resolve examples/records.csv with budget 5, drain the queue, resolve again.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from common import (
    ROOT,
    CpuUse,
    Report,
    command,
    fresh_database,
    load_mappings,
    machine_cpu,
    make_records,
    timer,
    write_csv,
)
from company_enrichment.columns import RecordColumns
from company_enrichment.db import EnrichmentDB
from company_enrichment.eqc import EQCClient
from company_enrichment.models import CompanyRecord
from company_enrichment.ratelimit import DatabaseRateLimiter
from company_enrichment.service import CompanyEnrichmentService
from company_enrichment.standin import EQCStandin

CLI_BATCH = 5_000


def _vm_hwm_kb(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except (FileNotFoundError, ProcessLookupError):
        pass
    return 0


def _load() -> float:
    return os.getloadavg()[0]


@dataclass
class CliRun:
    """One client run: a ``company-enrichment resolve`` command's peak RSS (MB; 0 for the Dagster op, which runs in
    the benchmark's own process) and the client's CPU seconds (user + system: the command's, or the benchmark
    process's for the op), and the wall seconds and whole machine's CPU over the run (``cpu``: the client, its
    PostgreSQL backends, the rest)."""

    peak_mb: float
    client_cpu: float
    cpu: CpuUse


def _cli(source: Path, out: Path, uri: str, *, jobs: int, src: Path | None = None) -> CliRun:
    """One ``company-enrichment resolve`` run (``src``: another source tree)."""
    env = {**os.environ, "WDH_DATABASE__URI": uri, "WDH_COMPANY_ENRICHMENT_ENABLED": "false"}
    if src is None:
        argv = [str(ROOT / ".venv/bin/company-enrichment"), "resolve", str(source), "-o", str(out), "--jobs", str(jobs)]
    else:
        env["PYTHONPATH"] = str(src / "pyclient")
        code = "from company_enrichment.cli import main; main()"
        argv = [sys.executable, "-c", code, "resolve", str(source), "-o", str(out)]
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    with machine_cpu() as use:
        process = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        # The child's own high-water mark, read from /proc while it runs (VmHWM of the process after exec;
        # rusage would also count the benchmark's own memory, which a forked child starts out sharing).
        peak_kb = 0
        while process.poll() is None:
            peak_kb = max(peak_kb, _vm_hwm_kb(process.pid))
            time.sleep(0.05)
    if process.returncode != 0:
        stderr = process.stderr.read().decode(errors="replace")[-2000:] if process.stderr else ""
        raise RuntimeError(f"company-enrichment resolve failed with exit code {process.returncode}: {stderr}")
    # The only child reaped meanwhile is this one: the difference is its CPU.
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    client = (after.ru_utime - children.ru_utime) + (after.ru_stime - children.ru_stime)
    return CliRun(peak_kb / 1024, client, use)


def _sql(uri: str, columns: RecordColumns) -> float:
    """Seconds to resolve ``columns`` in batches of CLI_BATCH over one connection, one call after another."""
    with EnrichmentDB.connect(uri, max_size=1) as db, timer() as t:
        for start in range(0, len(columns), CLI_BATCH):
            db.resolve_rows(columns.slice(start, start + CLI_BATCH))
    return t[0]


def run_cli(report: Report, *, quick: bool, before: Path | None = None) -> None:
    rows = 200_000 if quick else 1_000_000
    flags = ["--quick"] if quick else []
    repro = command("bench/bench_client.py", *flags, "--only", "cli")
    print(f"\n== `company-enrichment resolve` on a {rows:,}-row CSV: beside the SQL batch, --jobs 2, memory")
    uri = fresh_database("enrichment_bench_cli")
    load_mappings(uri, 100_000, learned=10_000)
    seconds: dict[str, list[float]] = {}
    loads: dict[str, list[float]] = {}
    peaks: dict[str, float] = {}
    runs: dict[str, list[CliRun]] = {}
    plan = ["sql", "cli1", "cli2", "cli2", "cli1", "sql"]
    if before is not None:
        plan = ["before", *plan, "before"]
    with tempfile.TemporaryDirectory() as tmp:
        # Warm-up (caches, plans, the page cache of the CSV path): a small CLI run and a small SQL run.
        warm = make_records(20_000, mappings=100_000, learned=10_000, run="warm")
        write_csv(Path(tmp) / "warm.csv", warm)
        _cli(Path(tmp) / "warm.csv", Path(tmp) / "warm.out.csv", uri, jobs=1)
        _sql(uri, RecordColumns(warm.plan_codes, warm.customer_names, warm.account_names, warm.account_numbers))
        for n, what in enumerate(plan):
            records = make_records(rows, mappings=100_000, learned=10_000, run=f"{what}{n}")
            load = _load()
            if what == "sql":
                columns = RecordColumns(
                    records.plan_codes, records.customer_names, records.account_names, records.account_numbers
                )
                elapsed = _sql(uri, columns)
            else:
                source = Path(tmp) / "records.csv"
                write_csv(source, records)
                del records
                out = Path(tmp) / "out.csv"
                if what == "before":
                    assert before is not None
                    run = _cli(source, out, uri, jobs=1, src=before)
                else:
                    run = _cli(source, out, uri, jobs=int(what[-1]))
                elapsed = run.cpu.seconds
                peaks[what] = max(peaks.get(what, 0.0), run.peak_mb)
                runs.setdefault(what, []).append(run)
                out.unlink()
            seconds.setdefault(what, []).append(elapsed)
            loads.setdefault(what, []).append(max(load, _load()))
            print(f"  {what}: {rows / elapsed:,.0f} rows/s (load average {loads[what][-1]:.1f})", flush=True)
    rate = {what: rows * len(s) / sum(s) for what, s in seconds.items()}
    load_text = {what: "/".join(f"{x:.1f}" for x in v) for what, v in loads.items()}
    cores = os.cpu_count() or 0
    report.series["cli_rows_per_second"] = rate
    report.add(
        f"`resolve` CLI on {rows:,} rows, one connection, vs the SQL batch",
        rate["cli1"],
        "rows/s",
        baseline=(
            f"SQL batch rate {rate['sql']:,.0f} rows/s (resolve_rows, batches of {CLI_BATCH:,}, one connection);"
            f" load average {load_text['cli1']} (CLI) and {load_text['sql']} (SQL) on {cores} cores"
        ),
        ratio=rate["cli1"] / rate["sql"],
        bar=">= 0.6x (goal 0.9x)",
        ok=rate["cli1"] / rate["sql"] >= 0.6,
        reproduce=f"{repro}; alone: company-enrichment resolve records.csv -o out.csv",
    )
    report.add(
        f"`resolve --jobs 2` on {rows:,} rows vs one connection",
        rate["cli2"],
        "rows/s",
        baseline=(
            f"--jobs 1 {rate['cli1']:,.0f} rows/s; load average {load_text['cli2']} (jobs 2), {load_text['cli1']}"
            f" (jobs 1) on {cores} cores: other work on the machine skews it (it takes cores from jobs 2; and while"
            " it keeps every core busy, two connections win two shares of the CPU to one's, which can push it past"
            f" {cores}x)"
        ),
        ratio=rate["cli2"] / rate["cli1"],
        bar=">= 1.6x (goal 1.9x)",
        ok=rate["cli2"] / rate["cli1"] >= 1.6,
        reproduce=f"{repro}; alone: company-enrichment resolve records.csv -o out.csv --jobs 2",
    )
    _report_cores(
        report,
        "`resolve --jobs 2` vs one connection",
        {1: runs["cli1"], 2: runs["cli2"]},
        rows,
        cores,
        {1: rate["cli1"], 2: rate["cli2"]},
        repro,
    )
    if before is not None:
        report.add(
            f"`resolve` CLI on {rows:,} rows, one connection, vs the CLI of {before}",
            rate["cli1"],
            "rows/s",
            baseline=f"before: {rate['before']:,.0f} rows/s, peak RSS {peaks['before']:.1f} MB",
            ratio=rate["cli1"] / rate["before"],
            reproduce=f"{repro} --before {before}",
        )
    peak_mb = max(peaks["cli1"], peaks["cli2"])
    report.add(
        f"peak RSS of `resolve` on {rows:,} rows",
        peak_mb,
        "MB",
        baseline=f"jobs 1: {peaks['cli1']:.1f} MB, jobs 2: {peaks['cli2']:.1f} MB",
        bar="<= 300 MB",
        ok=peak_mb <= 300,
        reproduce=repro,
    )


def _report_cores(
    report: Report,
    figure: str,
    runs: dict[int, list[CliRun]],
    rows: int,
    cores: int,
    rate: dict[int, float],
    repro: str,
) -> None:
    """What two connections can give at most on this machine, from the CPU the runs used: jobs 2 can at best keep
    every core busy at its own CPU per row, so the ceiling is the cores over jobs 2's CPU per row, over jobs 1's
    rate. When a row costs the same CPU at both, that is the cores over the cores jobs 1 already keeps busy (the
    client's threads and its backends overlap); when jobs 2's rows cost less, the ratio can pass that. ``figure``
    names the row; ``runs`` and ``rate`` are by jobs (1 and 2)."""
    busy = {jobs: sum(r.cpu.busy for r in rs) / sum(r.cpu.seconds for r in rs) for jobs, rs in runs.items()}
    steal = {jobs: sum(r.cpu.steal for r in rs) / sum(r.cpu.seconds for r in rs) for jobs, rs in runs.items()}
    client = {jobs: sum(r.client_cpu for r in rs) / (rows * len(rs)) * 1e6 for jobs, rs in runs.items()}
    server = {jobs: sum(r.cpu.busy - r.client_cpu for r in rs) / (rows * len(rs)) * 1e6 for jobs, rs in runs.items()}
    # rows/s with every core busy at jobs 2's CPU per row, over jobs 1's rate
    ceiling = cores / ((client[2] + server[2]) / 1e6) / rate[1]
    achieved = rate[2] / rate[1]
    report.add(
        f"{figure}: the most {cores} cores allow",
        ceiling,
        "x",
        baseline=(
            f"cores busy {busy[1]:.2f} (jobs 1) and {busy[2]:.2f} (jobs 2) of {cores}; CPU per row, the"
            f" client + the rest (backends, server processes): {client[1]:.1f} + {server[1]:.1f} us"
            f" (jobs 1), {client[2]:.1f} + {server[2]:.1f} us (jobs 2); stolen by the host"
            f" {steal[1]:.2f} and {steal[2]:.2f} cores; jobs 2 reached {achieved:.2f}x, this share of the"
            " most"
        ),
        ratio=achieved / ceiling,
        reproduce=repro,
    )


def run_dagster(report: Report, *, quick: bool) -> None:
    """The Dagster op (``resolve_company_ids_op``, executed in process) with ``jobs: 2`` against ``jobs: 1``, on
    200,000 records given as dicts (quick: 50,000; the op holds its input and output in memory), runs interleaved
    1, 2, 2, 1, each on fresh unknown names; and, as for ``resolve``, the most ``jobs: 2`` could reach on this
    machine's cores from the CPU the runs used (the client's is this process's, where the op runs)."""
    import dagster as dg
    from company_enrichment.dagster import RESOURCE_KEY, CompanyEnrichmentResource, resolve_company_ids_op

    rows = 50_000 if quick else 200_000
    repro = command("bench/bench_client.py", *(["--quick"] if quick else []), "--only", "dagster")
    print(f"\n== the Dagster op on {rows:,} records: jobs 2 vs jobs 1")
    uri = fresh_database("enrichment_bench_cli")
    load_mappings(uri, 100_000, learned=10_000)

    @dg.graph
    def bench_graph(records: Any) -> None:
        resolve_company_ids_op(records)

    bench_job = bench_graph.to_job(name="bench_resolve_job")

    seconds: dict[int, list[float]] = {}
    loads: dict[int, list[float]] = {}
    runs: dict[int, list[CliRun]] = {}
    for n, jobs in enumerate((1, 1, 2, 2, 1)):
        r = make_records(rows, mappings=100_000, learned=10_000, run=f"dagster{n}")
        records = [
            {"plan_code": a, "customer_name": b, "account_name": c, "account_number": d}
            for a, b, c, d in zip(r.plan_codes, r.customer_names, r.account_names, r.account_numbers, strict=True)
        ]
        del r
        load = _load()
        # the op runs in this process: its CPU (every thread's) is the client's
        client_start = time.process_time()
        with machine_cpu() as use:
            result = bench_job.execute_in_process(
                run_config={"ops": {"resolve_company_ids_op": {"config": {"jobs": jobs}}}},
                resources={RESOURCE_KEY: CompanyEnrichmentResource(database_uri=uri, enabled=False)},
                input_values={"records": records},
            )
        client_cpu = time.process_time() - client_start
        assert result.success
        del result, records
        if n == 0:
            continue  # warm-up
        runs.setdefault(jobs, []).append(CliRun(0.0, client_cpu, use))
        seconds.setdefault(jobs, []).append(use.seconds)
        loads.setdefault(jobs, []).append(max(load, _load()))
        print(f"  jobs {jobs}: {rows / use.seconds:,.0f} rows/s (load average {loads[jobs][-1]:.1f})", flush=True)
    rate = {jobs: rows * len(s) / sum(s) for jobs, s in seconds.items()}
    load_text = {jobs: "/".join(f"{x:.1f}" for x in v) for jobs, v in loads.items()}
    report.add(
        f"Dagster op `jobs: 2` on {rows:,} records vs `jobs: 1`",
        rate[2],
        "rows/s",
        baseline=f"jobs 1 {rate[1]:,.0f} rows/s; load average {load_text[2]} (jobs 2), {load_text[1]} (jobs 1)",
        ratio=rate[2] / rate[1],
        bar=">= 1.6x (goal 1.9x)",
        ok=rate[2] / rate[1] >= 1.6,
        reproduce=repro,
    )
    _report_cores(report, "Dagster op `jobs: 2` vs `jobs: 1`", runs, rows, os.cpu_count() or 0, rate, repro)


def _backend_cpu(pid: int) -> float:
    """CPU seconds (user + system) a server process has used, from /proc (the cluster runs on this machine)."""
    with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def run_transfer(report: Report, *, quick: bool) -> None:
    """CPU per record of one batch call, client and server apart (CPU time, so less at the mercy of the machine's
    load than wall time): the text[] literal with empty fields as '' (the CLI before this change) against the packed
    columns with empty fields as NULL (now), on the same records with ``preview_company_ids`` (writes nothing, so
    every round does the same work). Best of 5 rounds each, interleaved."""
    import psycopg
    from company_enrichment.db import SQL, _batch_params

    rows = 50_000 if quick else 200_000
    repro = command("bench/bench_client.py", *(["--quick"] if quick else []), "--only", "transfer")
    print(f"\n== CPU per record of a batch call, {rows:,} records in batches of {CLI_BATCH:,}: text[] vs packed")
    uri = fresh_database("enrichment_bench_cli")
    load_mappings(uri, 100_000, learned=10_000)
    records = make_records(rows, mappings=100_000, learned=10_000, run="transfer")
    # As a CSV file gives them: every absent field an empty string.
    fields = (records.plan_codes, records.customer_names, records.account_names, records.account_numbers)
    blank = [["" if v is None else v for v in column] for column in fields]
    columns = RecordColumns(*blank)
    best: dict[str, tuple[float, float]] = {}
    names = ("plan_codes", "customer_names", "account_names", "account_numbers")
    with psycopg.connect(uri, autocommit=True) as conn:
        row = conn.execute("SELECT pg_backend_pid()").fetchone()
        assert row is not None
        pid = int(row[0])

        def old(part: RecordColumns) -> None:
            params = {k: None if v is None else list(v) for k, v in zip(names, part.as_tuple(), strict=True)}
            conn.execute(SQL["preview_company_ids"], params).fetchall()

        def new(part: RecordColumns) -> None:
            packed, params = _batch_params(part)
            assert packed
            conn.execute(SQL["preview_company_ids_packed"], params).fetchall()

        for _ in range(5):
            for name, call in (("text[] with ''", old), ("packed with NULL", new)):
                server0, client0 = _backend_cpu(pid), time.process_time()
                for start in range(0, rows, CLI_BATCH):
                    call(columns.slice(start, start + CLI_BATCH))
                cost = ((_backend_cpu(pid) - server0) / rows * 1e6, (time.process_time() - client0) / rows * 1e6)
                if name not in best or sum(cost) < sum(best[name]):
                    best[name] = cost
    (old_server, old_client), (new_server, new_client) = best["text[] with ''"], best["packed with NULL"]
    for name, (server, client) in best.items():
        print(f"  {name}: server {server:.1f} us/record, client {client:.1f} us/record")
    report.add(
        "CPU per record of a batch call (preview), packed columns with NULL vs text[] with ''",
        new_server + new_client,
        "us/record",
        baseline=(
            f"text[] with '': server {old_server:.1f} + client {old_client:.1f} us; packed with NULL: server"
            f" {new_server:.1f} + client {new_client:.1f} us (best of 5, load average {_load():.1f})"
        ),
        ratio=(old_server + old_client) / (new_server + new_client),
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
    parser.add_argument(
        "--only", default="cli,transfer,dagster,economy", help="comma-separated: cli, transfer, dagster, economy"
    )
    parser.add_argument("--before", type=Path, help="also time the command line of this source tree (jobs=1)")
    args = parser.parse_args()
    report = Report("quick" if args.quick else "full")
    parts = args.only.split(",")
    if "cli" in parts:
        run_cli(report, quick=args.quick, before=args.before)
    if "transfer" in parts:
        run_transfer(report, quick=args.quick)
    if "dagster" in parts:
        run_dagster(report, quick=args.quick)
    if "economy" in parts:
        run_economy(report, quick=args.quick)
