"""Batch resolution on ONE connection, 200k records x 200k curated mappings, a realistic pipeline mix.

    .venv/bin/python bench/bench_batch_mix.py [--quick] [--before CHANGE] [--batches 5000,20000,50000,100000]

What a pipeline sends: names repeat (every month, every product, every plan of a customer: each record 1 to 7
times, 4 on average, close together), about a quarter of the names are decorated (status suffixes and prefixes,
brackets, stray spaces), about a fifth are unknown to every mapping (queued for EQC, each run its own), 5% of
the records carry no customer name (TEMP id keyed on the record). The batch goes through
``enterprise.resolve_company_ids`` with psycopg (tuples, no models: this is the SQL path) on one connection, at
each batch size; beside it, in the same run, the single-call loop (``resolve_company_id`` once per record, same
connection) and the single-call latency of an internal hit through the client.

``--before CHANGE`` deploys a second scratch database only up to that sqitch change (for example
``owner_enrichment_owner``, the last change before the 0.3 batch work) with the same data, and measures both
databases in the same run, interleaved, so the ratio says what the changes after CHANGE bought.
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
from dataclasses import dataclass

import psycopg
from common import (
    DECORATIONS,
    Records,
    Report,
    backend_seconds,
    command,
    company_name,
    drop_database,
    fresh_database,
    load_mappings,
    local_backend,
    timer,
)
from company_enrichment.db import EnrichmentDB

# Binary parameters (%b): psycopg's text dump of four lists of str costs ~11 us per record on this machine,
# the binary one ~2.5 us (measured with psycopg 3.3, C implementation); TEXT_SQL is the text form.
BATCH_SQL = (
    "SELECT company_id, status, source, match_type, temp_id, request_id"
    " FROM enterprise.resolve_company_ids(plan_codes => %b::text[], customer_names => %b::text[],"
    " account_names => %b::text[], account_numbers => %b::text[])"
)
TEXT_SQL = BATCH_SQL.replace("%b", "%s")
SINGLE_SQL = (
    "SELECT * FROM enterprise.resolve_company_id(plan_code => %s, customer_name => %s,"
    " account_name => %s, account_number => %s)"
)
# More decorations than the generic mix: start and end, bare and in brackets, full-width spaces.
MIX_DECORATIONS = (*DECORATIONS, "（已注销）", "-吊销", "　", "(存续)", "【停业】-")
PREFIXES = ("（注销）", "已转出-", " ", "【已吊销】")


def make_mix(count: int, *, mappings: int, learned: int, run: str, seed: int = 20261202) -> Records:
    """The pipeline mix: 15% plan code (+ a name), 5% account number, 40% curated name, 5% account name,
    10% learned name, 20% unknown name, 5% no customer name; a quarter of the names decorated.

    Pipelines repeat a customer's record for every month, product and plan: each entity is drawn with its kind
    and its spelling (decorated or not) and repeated 1 to 7 times (4 on average); the records are then shuffled
    within windows of 2,000, so that a batch of 5,000 sees the repeats as well as one of 100,000.
    """
    rng = random.Random(f"{seed}-{run}")
    per_kind = max(1, mappings // 5)
    records = Records([], [], [], [])
    serial = 0
    while len(records) < count:
        r = rng.random()
        plan = customer = account_name = account = None
        k = rng.randrange(per_kind)
        serial += 1
        if r < 0.15:
            plan = f"PL{k:07d}"
            customer = company_name(k)
        elif r < 0.20:
            account = f"AC{k:08d}"
        elif r < 0.60:
            customer = company_name(k)
        elif r < 0.65:
            account_name = f"{company_name(k)}年金账户"
        elif r < 0.75:
            customer = f"学到{company_name(rng.randrange(max(1, learned)))}" if learned else company_name(k)
        elif r < 0.95:
            customer = f"未知{run}客户{serial}有限公司"
        else:
            plan = f"NOPLAN{run}-{serial}"
        if customer is not None and rng.random() < 0.25:
            if rng.random() < 0.7:
                customer = f"{customer}{MIX_DECORATIONS[rng.randrange(len(MIX_DECORATIONS))]}"
            else:
                customer = f"{PREFIXES[rng.randrange(len(PREFIXES))]}{customer} "
        for _ in range(min(rng.randint(1, 7), count - len(records))):
            records.plan_codes.append(plan)
            records.customer_names.append(customer)
            records.account_names.append(account_name)
            records.account_numbers.append(account)
    order: list[int] = []
    for start in range(0, count, 2_000):
        window = list(range(start, min(start + 2_000, count)))
        rng.shuffle(window)
        order += window
    return Records(
        [records.plan_codes[i] for i in order],
        [records.customer_names[i] for i in order],
        [records.account_names[i] for i in order],
        [records.account_numbers[i] for i in order],
    )


def batch_seconds(
    conn: psycopg.Connection[tuple[object, ...]], records: Records, batch: int, *, sql: str = BATCH_SQL
) -> float:
    """Seconds to resolve ``records`` in batches of ``batch``, one connection, tuples, a commit per batch."""
    with timer() as t:
        for start in range(0, len(records), batch):
            chunk = records.slice(start, min(start + batch, len(records)))
            with conn.cursor() as cur:
                cur.execute(sql, (chunk.plan_codes, chunk.customer_names, chunk.account_names, chunk.account_numbers))
                rows = cur.fetchall()
            conn.commit()
            assert len(rows) == len(chunk), (len(rows), len(chunk))
    return t[0]


def single_seconds(conn: psycopg.Connection[tuple[object, ...]], records: Records) -> float:
    with timer() as t:
        for i in range(len(records)):
            conn.execute(
                SINGLE_SQL,
                (
                    records.plan_codes[i],
                    records.customer_names[i],
                    records.account_names[i],
                    records.account_numbers[i],
                ),
            ).fetchone()
            conn.commit()
    return t[0]


def hit_latencies(uri: str, *, calls: int = 2_200) -> tuple[float, float]:
    """p50 and p99 (ms) of one resolve_company_id through the client for an internal hit (plan code)."""
    with EnrichmentDB.connect(uri, max_size=1) as db:
        latencies = []
        for i in range(calls):
            start = time.perf_counter()
            db.resolve_company_id(plan_code=f"PL{i % 1000:07d}")
            latencies.append(time.perf_counter() - start)
    latencies = sorted(latencies[200:])
    return statistics.median(latencies) * 1e3, latencies[int(len(latencies) * 0.99)] * 1e3


@dataclass
class Target:
    label: str
    uri: str


def run(
    report: Report,
    *,
    quick: bool,
    before: str | None = None,
    batches: tuple[int, ...] = (5_000, 20_000, 50_000, 100_000),
    single: int | None = None,
) -> None:
    total = 50_000 if quick else 200_000
    mappings = 50_000 if quick else 200_000
    learned = mappings // 10
    single = single or (1_000 if quick else 3_000)
    if quick:
        batches = tuple(b for b in batches if b <= total)
    repro = command(
        "bench/bench_batch_mix.py",
        *(["--quick"] if quick else []),
        *(["--before", before] if before else []),
        "--batches",
        ",".join(str(b) for b in batches),
    )
    print(f"\n== batch resolution, one connection: {total:,} records x {mappings:,} curated mappings, pipeline mix")
    targets = [Target("HEAD", fresh_database("enrichment_bench_mix"))]
    if before:
        targets.insert(0, Target(f"before ({before})", fresh_database("enrichment_bench_mix_before", to=before)))
    try:
        for target in targets:
            load_mappings(target.uri, mappings, learned=learned)
        conns = {t.label: psycopg.connect(t.uri) for t in targets}
        try:
            # Warm up: plans, caches.
            for t in targets:
                batch_seconds(conns[t.label], make_mix(20_000, mappings=mappings, learned=learned, run="warm"), 5_000)
            rates: dict[str, dict[int, float]] = {t.label: {} for t in targets}
            text_rates: dict[int, float] = {}
            head_label = targets[-1].label
            head_pid = local_backend(conns[head_label])
            # HEAD's CPU per record at each batch size (binary parameters): its backend's and this process's.
            cpu: dict[int, tuple[float, float]] = {}
            for n, batch in enumerate(batches):
                # The same records for every target (each database queues its own unknown names).
                records = make_mix(total, mappings=mappings, learned=learned, run=f"b{batch}")
                for t in targets if n % 2 else list(reversed(targets)):
                    # (pid, backend CPU, this process's CPU) before HEAD's run; None for another target
                    start = (
                        (head_pid, backend_seconds(head_pid), time.process_time())
                        if t.label == head_label and head_pid is not None
                        else None
                    )
                    rates[t.label][batch] = total / batch_seconds(conns[t.label], records, batch)
                    if start is not None:
                        pid, backend0, client0 = start
                        cpu[batch] = (backend_seconds(pid) - backend0, time.process_time() - client0)
                # HEAD again with text parameters (fresh unknown names): what the client's encoding costs.
                text_records = make_mix(total, mappings=mappings, learned=learned, run=f"t{batch}")
                text_rates[batch] = total / batch_seconds(conns[head_label], text_records, batch, sql=TEXT_SQL)
                print(
                    f"  batch {batch:>7,}: "
                    + ", ".join(f"{t.label} {rates[t.label][batch]:,.0f} rows/s" for t in targets)
                    + f"; HEAD with text parameters {text_rates[batch]:,.0f} rows/s",
                    flush=True,
                )
            single_rates = {}
            sample = make_mix(single, mappings=mappings, learned=learned, run="single")
            for t in targets:
                single_rates[t.label] = single / single_seconds(conns[t.label], sample)
        finally:
            for c in conns.values():
                c.close()
        latencies = {t.label: hit_latencies(t.uri) for t in targets}

        head = targets[-1].label
        report.series["one_connection_mix_rows_per_second_by_batch"] = rates
        for batch in batches:
            rate = rates[head][batch]
            ratio = rate / single_rates[head]
            beside = f"single-call loop {single_rates[head]:,.0f} rows/s ({ratio:.0f}x)"
            beside += f"; text parameters {text_rates[batch]:,.0f} rows/s"
            if before:
                b = targets[0].label
                beside += f"; {b}: {rates[b][batch]:,.0f} rows/s (HEAD {rate / rates[b][batch]:.2f}x)"
            report.add(
                f"batch, one connection, {total:,} x {mappings:,} mix, batch {batch:,}",
                rate,
                "rows/s",
                baseline=beside,
                ratio=ratio,
                bar=">= 100,000 rows/s and >= 50x the single-call loop",
                ok=rate >= 100_000 and ratio >= 50,
                reproduce=repro,
            )
        if cpu:
            _report_backend_ceiling(report, total, {b: rates[head][b] for b in cpu}, cpu, repro)
        p50, p99 = latencies[head]
        extra = ""
        if before:
            bp50, bp99 = latencies[targets[0].label]
            extra = f"{targets[0].label}: p50 {bp50:.2f} ms, p99 {bp99:.2f} ms"
        report.add(
            "single-call latency p50 (internal hit, mix database)",
            p50,
            "ms",
            baseline=extra,
            bar="<= 0.5 ms",
            ok=p50 <= 0.5,
            reproduce=repro,
        )
        report.add(
            "single-call latency p99 (internal hit, mix database)",
            p99,
            "ms",
            baseline=extra,
            bar="<= 2 ms",
            ok=p99 <= 2.0,
            reproduce=repro,
        )
        if before:
            b = targets[0].label
            print(f"  single-call loop: HEAD {single_rates[head]:,.0f} rows/s, {b} {single_rates[b]:,.0f} rows/s")
    finally:
        drop_database("enrichment_bench_mix")
        drop_database("enrichment_bench_mix_before")


def _report_backend_ceiling(
    report: Report, total: int, rates: dict[int, float], cpu: dict[int, tuple[float, float]], repro: str
) -> None:
    """What one connection can give at most on this machine: its backend runs on one core and the connection
    waits for each batch's answer, so no batch resolves faster than its backend's CPU per record allows, whatever
    the client does. ``cpu`` holds, by batch size, the backend's and this process's CPU seconds over ``total``
    records; the row's value is the rows/s of the backend's CPU alone over every batch size, and its ratio how
    much of that the runs reached. Each size also shows the backend's and the client's CPU together as a share of
    its wall time: near 100%, the two ran in turn (the connection is synchronous), so the rest of the time was the
    client's CPU, encoding the batch and decoding the answers."""
    backend = sum(b for b, _ in cpu.values())
    seconds = sum(total / rates[batch] for batch in cpu)
    ceiling = total * len(cpu) / backend
    achieved = total * len(cpu) / seconds
    per_batch = "; ".join(
        f"{batch:,}: {b / total * 1e6:.1f} + {c / total * 1e6:.1f} us ({rates[batch] * (b + c) / total:.0%} of the"
        f" wall time), {rates[batch] * b / total:.0%} of its ceiling {total / b:,.0f} rows/s"
        for batch, (b, c) in cpu.items()
    )
    report.add(
        f"batch, one connection, {total:,}-record mix: the most one backend allows",
        ceiling,
        "rows/s",
        baseline=(
            f"CPU per record, the backend + this client (their share of the wall time), and the share of the"
            f" backend's own ceiling each batch size reached: {per_batch}; all sizes together reached"
            f" {achieved:,.0f} rows/s, this share of the most"
        ),
        ratio=achieved / ceiling,
        reproduce=repro,
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="50k records x 50k mappings")
    parser.add_argument("--before", help="also measure a database deployed only up to this sqitch change")
    parser.add_argument("--batches", default="5000,20000,50000,100000", help="comma-separated batch sizes")
    parser.add_argument("--single", type=int, help="records in the single-call loop (default 3,000; quick 1,000)")
    args = parser.parse_args()
    run(
        Report("quick" if args.quick else "full"),
        quick=args.quick,
        before=args.before,
        batches=tuple(int(b) for b in args.batches.split(",")),
        single=args.single,
    )
