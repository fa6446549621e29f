"""Every benchmark, in one run: ``make bench`` (quick, under 2 minutes) or ``make bench-full``.

    .venv/bin/python bench/run.py [--quick] [--write]
        [--only resolution,mix,queue,temp,cli,transfer,dagster,economy,prune,negcache]

Prints each figure with its ratio against a baseline or peer measured in the same run and the command that
reproduces it. ``--write`` (what ``make bench-full`` does) writes BENCHMARKS.md and bench/results/chart.png.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from bench_batch_mix import run as run_mix
from bench_client import run_cli, run_dagster, run_economy, run_transfer
from bench_history import run_negcache, run_prune
from bench_queue import BEFORE, FLOOR_LABEL, run_queue, run_temp
from bench_resolution import run as run_resolution
from common import ROOT, Report, drop_database, machine_facts

PARTS = {
    "resolution": run_resolution,
    "mix": run_mix,
    "queue": run_queue,
    "temp": run_temp,
    "cli": run_cli,
    "transfer": run_transfer,
    "dagster": run_dagster,
    "economy": run_economy,
    "prune": run_prune,
    "negcache": run_negcache,
}
SCRATCH = (
    "enrichment_bench",
    "enrichment_bench_small",
    "enrichment_bench_mix",
    "enrichment_bench_mix_before",
    "enrichment_bench_queue",
    "enrichment_bench_queue_before",
    "enrichment_bench_queue_history",
    "enrichment_bench_queue_history_before",
    "enrichment_bench_temp",
    "enrichment_bench_cli",
    "enrichment_bench_eqc",
    "enrichment_bench_history",
    "enrichment_bench_history_empty",
    "bench_procrastinate",
    "bench_pgqueuer",
)


def chart(report: Report, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (left, right) = plt.subplots(1, 2, figsize=(12, 4.5))
    by_batch = report.series.get("rows_per_second_by_batch", {})
    if by_batch:
        sizes = sorted(int(k) for k in by_batch)
        left.plot(sizes, [by_batch[k] for k in sizes], marker="o", label="resolve_company_ids from Python")
        left.axhline(100_000, color="grey", linestyle="--", label="bar: 100,000 rows/s")
        left.set_xscale("log")
        left.set_xlabel("records per SQL call")
        left.set_ylabel("rows per second")
        left.set_title("Batch resolution")
        left.legend()
    queue = report.series.get("queue_cycles_per_second", {})
    if queue:
        keys = list(queue["ours"])
        names = [n for n in ("ours", BEFORE, FLOOR_LABEL, "procrastinate", "pgqueuer") if n in queue]
        width = 0.8 / len(names)
        for offset, name in enumerate(names):
            right.bar(
                [i + (offset - (len(names) - 1) / 2) * width for i in range(len(keys))],
                [queue[name][k] for k in keys],
                width,
                label=name if name != BEFORE else f"ours, {BEFORE.lstrip('@')}",
            )
        right.set_xticks(range(len(keys)), [k.replace("x", " workers, batch ") for k in keys], fontsize=8)
        right.set_ylabel("claim -> complete cycles per second")
        right.set_title("Queue throughput")
        right.legend()
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)


def write_markdown(report: Report, facts: dict[str, object], seconds: float) -> None:
    settings = facts["settings"]
    assert isinstance(settings, dict)
    lines = [
        "# Benchmarks",
        "",
        "Figures of one `make bench-full` run (`.venv/bin/python bench/run.py --write`), written by the script.",
        "These machines are shared and noisy: every figure stands beside a baseline or peer measured in the same",
        "run, and the ratio is the figure to trust. Benchmarks are not tests; `make test` runs none of them.",
        "",
        f"- machine: {facts['cores']} cores, {facts['platform']}, Python {facts['python']}",
        f"- PostgreSQL {facts['postgresql']} (the project-local cluster of scripts/localdb.sh): "
        + ", ".join(f"{k}={v}" for k, v in sorted(settings.items())),
        f"- the whole run took {seconds / 60:.1f} minutes",
        "",
        "| figure | value | beside it (same run) | ratio | bar | |",
        "|---|---:|---|---:|---|---|",
    ]
    for f in report.figures:
        ratio = f"{f['ratio']:.2f}x" if f["ratio"] is not None else ""
        verdict = "" if f["ok"] is None else ("meets" if f["ok"] else "**below**")
        lines.append(
            f"| {f['name']} | {f['value']:,.2f} {f['unit']} | {f['baseline']} | {ratio} | {f['bar']} | {verdict} |"
        )
    lines += [
        "",
        "![rows/s against batch size; queue cycles/s against workers, ours beside the peers](bench/results/chart.png)",
        "",
        "## How to rerun",
        "",
        "```sh",
        "make test          # first: installs everything and proves the build",
        "make bench         # quick mode, under 2 minutes, prints every figure",
        "make bench-full    # full sizes (1M records, 1M mappings, 5M history rows), rewrites this file",
        "```",
        "",
        "Each script also runs alone: `.venv/bin/python bench/bench_resolution.py [--quick]`, `bench_queue.py`,",
        "`bench_client.py`, `bench_history.py`, `peers.py --dsn ...`; `bench_settle.py` (`--help`) measures one",
        "worker's settle beside a release, its floor or a copy without one part, in the backend's own CPU,",
        "`bench_single.py` one record's `resolve_company_id` beside a release, `bench_write_setup.py` what each",
        "table's checks and generated columns cost every statement that writes it, and `profile_batch_mix.py` a",
        "`perf` profile of the mix's backend (`make bench-profile` installs perf). Peers (procrastinate, pgqueuer) and",
        "matplotlib are bench-only dependencies (`bench/requirements-bench.txt`), installed by `make bench`.",
        "",
    ]
    notes = ROOT / "bench/NOTES.md"
    if notes.exists():
        lines += [notes.read_text(encoding="utf-8").strip(), ""]
    (ROOT / "BENCHMARKS.md").write_text("\n".join(lines), encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="small sizes, under 2 minutes")
    parser.add_argument("--only", default=",".join(PARTS), help="comma-separated parts to run")
    parser.add_argument("--write", action="store_true", help="write BENCHMARKS.md and the chart")
    args = parser.parse_args()
    report = Report("quick" if args.quick else "full")
    facts = machine_facts()
    print(f"machine: {facts['cores']} cores; PostgreSQL {facts['postgresql']}; mode {report.mode}")
    start = time.perf_counter()
    try:
        for part in args.only.split(","):
            PARTS[part](report, quick=args.quick)
    finally:
        for name in SCRATCH:
            drop_database(name)
    seconds = time.perf_counter() - start
    results = ROOT / "bench/results"
    results.mkdir(parents=True, exist_ok=True)
    (results / f"{report.mode}.json").write_text(
        json.dumps(
            {"facts": facts, "figures": report.figures, "series": report.series, "seconds": seconds},
            indent=2,
            default=str,
        ),
        encoding="utf-8",
    )
    below = [f["name"] for f in report.figures if f["ok"] is False]
    print(f"\n{len(report.figures)} figures in {seconds:.0f} s; below their bar: {below or 'none'}")
    if args.write:
        chart(report, results / "chart.png")
        write_markdown(report, facts, seconds)
        print("wrote BENCHMARKS.md and bench/results/chart.png")


if __name__ == "__main__":
    main()
