"""`company-enrichment resolve` on the file formats pipelines bring: rows a second and peak RSS of the command for a
CSV in UTF-8 and in GB18030, an .xlsx sheet and a Parquet file with the same records (a benchmark, not a test).

    . scripts/dbenv.sh
    .venv/bin/python bench/bench_files.py [--rows 200000] [--formats csv,gb18030,xlsx,parquet]

Records mix a few thousand repeated customer names (queued once each on the first format, answered from the queue
after), plan codes without a name (keyed TEMP ids) and 12-digit account numbers. Every format gets the same records
with its own tag, so each run queues and mints the same amounts. Peak RSS is the command's VmHWM, read from /proc
while it runs. Needs the [excel] and [parquet] extras.
"""

from __future__ import annotations

import argparse
import csv
import os
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CLI = ROOT / ".venv" / "bin" / "company-enrichment"
HEADER = ["plan_code", "customer_name", "account_name", "account_number"]


def records(rows: int, tag: str) -> list[list[str]]:
    out = []
    for i in range(rows):
        k = (i * 7919) % 5_000
        name = f"{tag}文件公司{k}有限公司" if k % 10 else ""
        plan = f"{tag}-P{i}" if not name else ""
        out.append([plan, name, "", str(610_000_000_000 + k)])
    return out


def write(fmt: str, path: Path, rows: list[list[str]]) -> None:
    if fmt in ("csv", "gb18030"):
        with path.open("w", encoding="utf-8" if fmt == "csv" else "gb18030", newline="") as f:
            w = csv.writer(f)
            w.writerow(HEADER)
            w.writerows(rows)
    elif fmt == "xlsx":
        import xlsxwriter

        book = xlsxwriter.Workbook(str(path), {"constant_memory": True})
        sheet = book.add_worksheet("records")
        sheet.write_row(0, 0, HEADER)
        for r, row in enumerate(rows, start=1):
            sheet.write_row(r, 0, row[:3])
            sheet.write_number(r, 3, int(row[3]))  # typed as a number, as Excel users leave account numbers
        book.close()
    else:
        import pyarrow as pa
        import pyarrow.parquet as pq

        columns = {h: [row[i] or None for row in rows] for i, h in enumerate(HEADER)}
        pq.write_table(pa.table(columns), str(path), row_group_size=50_000)


def vm_hwm_kb(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def run(fmt: str, source: Path, out: Path) -> tuple[float, float]:
    argv = [str(CLI), "resolve", str(source), "-o", str(out), "--budget", "0"]
    if fmt == "gb18030":
        argv += ["--encoding", "gb18030"]
    started = time.perf_counter()
    process = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=os.environ.copy())
    peak = 0
    while process.poll() is None:
        peak = max(peak, vm_hwm_kb(process.pid))
        time.sleep(0.05)
    elapsed = time.perf_counter() - started
    if process.returncode != 0:
        sys.exit(f"{fmt}: exit {process.returncode}: {process.stderr.read().decode() if process.stderr else ''}")
    return elapsed, peak / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--formats", default="csv,gb18030,xlsx,parquet")
    args = parser.parse_args()
    formats = [f.strip() for f in args.formats.split(",") if f.strip()]
    unknown = sorted(set(formats) - {"csv", "gb18030", "xlsx", "parquet"})
    if unknown:
        parser.error(f"unknown format(s): {', '.join(unknown)}")
    command = f".venv/bin/python bench/bench_files.py --rows {args.rows} --formats {','.join(formats)}"
    print(f"reproduce: . scripts/dbenv.sh && {command}")
    print(f"load average: {os.getloadavg()[0]:.2f}")
    with tempfile.TemporaryDirectory() as tmp:
        for fmt in formats:
            ext = {"gb18030": "csv"}.get(fmt, fmt)
            rows = records(args.rows, f"bf{uuid.uuid4().hex[:6]}")
            source = Path(tmp) / f"in-{fmt}.{ext}"
            write(fmt, source, rows)
            seconds, peak_mb = run(fmt, source, Path(tmp) / f"out-{fmt}.{ext}")
            print(f"{fmt:8} {args.rows:>9,} rows: {args.rows / seconds:>9,.0f} rows/s, peak RSS {peak_mb:6.1f} MB")


if __name__ == "__main__":
    main()
