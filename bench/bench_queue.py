"""Lookup-queue throughput: claim -> complete cycles per second, beside procrastinate and pgqueuer.

    .venv/bin/python bench/bench_queue.py [--quick]

Our cycle is what the Python worker does: an in-process EQC answer with no latency for each claimed request,
then ``complete_lookups`` settling the batch (with the mapping UPSERT for every found name) and claiming the
next batch in the same transaction.
Workers are OS processes released together; the clock stops when the last one finds nothing due. Peers do the
equivalent job (fetch, no-op, mark done) on the same server in the same run (bench/peers.py).

Also: claims with history (5,000,000 done requests in the table vs none), TEMP minting from 8 connections.
"""

from __future__ import annotations

import argparse
import multiprocessing
import time
from dataclasses import dataclass
from multiprocessing.synchronize import Barrier

import psycopg
from common import Report, command, empty_database, fresh_database, timer

COMBINATIONS = ((1, 1), (4, 10), (4, 50), (8, 100))


@dataclass
class QueueResult:
    workers: int
    batch: int
    jobs: int
    seconds: float

    @property
    def cycles_per_second(self) -> float:
        return self.jobs / self.seconds


def _worker(uri: str, index: int, batch: int, barrier: Barrier, finished: multiprocessing.Queue) -> None:  # type: ignore[type-arg]
    name = f"bench-{index}"
    with psycopg.connect(uri, autocommit=True) as conn:
        claim = "SELECT id FROM enterprise.claim_lookups(%s, %s)"
        # Settle the batch and claim the next one in one transaction, as the Python worker does.
        complete = (
            "SELECT id FROM enterprise.complete_lookups(%s, %s::bigint[], %s::text[], claim_next => %s)"
            " WHERE status = 'processing'"
        )
        barrier.wait()
        rows = conn.execute(claim, (batch, name)).fetchall()
        while rows:
            ids = [int(str(r[0])) for r in rows]
            # The in-process "EQC": every name is found, its id derived from the request.
            answers = [f"9{request_id % 100_000_000:08d}" for request_id in ids]
            rows = conn.execute(complete, (name, ids, answers, batch)).fetchall()
    # perf_counter is CLOCK_MONOTONIC, shared by every process: the run ends when the last worker is done
    # (process exit is not counted, as for the peers).
    finished.put(time.perf_counter())


def _run_workers(uri: str, workers: int, batch: int) -> float:
    ctx = multiprocessing.get_context("spawn")
    barrier = ctx.Barrier(workers + 1)
    finished: multiprocessing.Queue = ctx.Queue()  # type: ignore[type-arg]
    processes = [ctx.Process(target=_worker, args=(uri, i, batch, barrier, finished)) for i in range(workers)]
    for process in processes:
        process.start()
    barrier.wait()
    start = time.perf_counter()
    end = max(finished.get() for _ in processes)
    for process in processes:
        process.join()
        if process.exitcode != 0:
            raise RuntimeError(f"a queue worker failed (exit code {process.exitcode})")
    return float(end - start)


def enqueue(uri: str, jobs: int, *, tag: str) -> None:
    with psycopg.connect(uri, autocommit=True) as conn:
        conn.execute("TRUNCATE enterprise.lookup_requests")
        conn.execute("DELETE FROM enterprise.company_mapping WHERE source <> 'internal'")
        for start in range(0, jobs, 50_000):
            names = [f"{tag}队列测速公司{i}" for i in range(start, min(jobs, start + 50_000))]
            conn.execute("SELECT count(*) FROM enterprise.resolve_company_ids(customer_names => %s::text[])", (names,))
        conn.execute("VACUUM ANALYZE enterprise.lookup_requests")
        conn.execute("VACUUM ANALYZE enterprise.company_mapping")
        conn.execute("CHECKPOINT")


def drain(uri: str, *, jobs: int, workers: int, batch: int) -> QueueResult:
    enqueue(uri, jobs, tag=f"w{workers}b{batch}")
    seconds = _run_workers(uri, workers, batch)
    with psycopg.connect(uri) as conn:
        row = conn.execute(
            "SELECT count(*) FILTER (WHERE status = 'done' AND outcome = 'found'), count(*)"
            " FROM enterprise.lookup_requests"
        ).fetchone()
    assert row == (jobs, jobs), f"not every request was completed exactly once: {row}"
    return QueueResult(workers, batch, jobs, seconds)


def run_queue(report: Report, *, quick: bool) -> None:
    from peers import run_pgqueuer, run_procrastinate

    jobs = 2_000 if quick else 20_000
    repro = command("bench/bench_queue.py", *(["--quick"] if quick else []))
    print(f"\n== queue cycles/s: {jobs:,} queued names, (workers, batch) = {COMBINATIONS}")
    ours_uri = fresh_database("enrichment_bench_queue")
    peer_uri = {"procrastinate": empty_database("bench_procrastinate"), "pgqueuer": empty_database("bench_pgqueuer")}
    series: dict[str, dict[str, float]] = {"ours": {}, "procrastinate": {}, "pgqueuer": {}}
    bars = {(1, 1): 1_500.0, (4, 50): 20_000.0}
    for workers, batch in COMBINATIONS:
        ours = drain(ours_uri, jobs=jobs, workers=workers, batch=batch)
        procrastinate = run_procrastinate(peer_uri["procrastinate"], jobs=jobs, workers=workers, batch=batch)
        pgqueuer = run_pgqueuer(peer_uri["pgqueuer"], jobs=jobs, workers=workers, batch=batch)
        key = f"{workers}x{batch}"
        series["ours"][key] = ours.cycles_per_second
        series["procrastinate"][key] = procrastinate.cycles_per_second
        series["pgqueuer"][key] = pgqueuer.cycles_per_second
        bar = bars.get((workers, batch))
        report.add(
            f"queue cycles/s, {workers} worker(s), batch {batch}",
            ours.cycles_per_second,
            "cycles/s",
            baseline=(
                f"procrastinate {procrastinate.cycles_per_second:,.0f}/s"
                f" (ours {ours.cycles_per_second / procrastinate.cycles_per_second:.2f}x),"
                f" pgqueuer {pgqueuer.cycles_per_second:,.0f}/s"
            ),
            ratio=ours.cycles_per_second / pgqueuer.cycles_per_second,  # vs pgqueuer; procrastinate in baseline
            bar=f">= {bar:,.0f}/s" if bar else "ahead of both peers",
            ok=(ours.cycles_per_second >= bar if bar else None),
            reproduce=repro,
        )
    report.series["queue_cycles_per_second"] = series

    # Claims with history: many done requests in the table.
    history = 200_000 if quick else 5_000_000
    empty = drain(ours_uri, jobs=jobs, workers=4, batch=50)
    with psycopg.connect(ours_uri, autocommit=True) as conn, timer() as t:
        conn.execute(
            "INSERT INTO enterprise.lookup_requests (name, normalized_name, status, outcome, company_id, completed_at)"
            " SELECT '历史' || i, '历史' || i, 'done', 'found', '600000000', now() - interval '1 day'"
            " FROM generate_series(1, %s) i",
            (history,),
        )
    print(f"  (inserted {history:,} done requests in {t[0]:.1f} s)")

    def drain_keeping_history() -> QueueResult:
        # enqueue() truncates; keep the history and only add the live requests.
        with psycopg.connect(ours_uri, autocommit=True) as conn:
            conn.execute("DELETE FROM enterprise.lookup_requests WHERE name NOT LIKE '历史%%'")
            names = [f"hist队列测速公司{i}" for i in range(jobs)]
            conn.execute("SELECT count(*) FROM enterprise.resolve_company_ids(customer_names => %s::text[])", (names,))
            conn.execute("VACUUM ANALYZE enterprise.lookup_requests")
            conn.execute("CHECKPOINT")
        return QueueResult(4, 50, jobs, _run_workers(ours_uri, 4, 50))

    with_history = drain_keeping_history()
    report.add(
        f"queue cycles/s with {history:,} done requests (4 workers, batch 50)",
        with_history.cycles_per_second,
        "cycles/s",
        baseline=f"empty table {empty.cycles_per_second:,.0f}/s",
        ratio=with_history.cycles_per_second / empty.cycles_per_second,
        bar=">= 0.8x the empty table",
        ok=with_history.cycles_per_second >= 0.8 * empty.cycles_per_second,
        reproduce=repro,
    )


def _mint(uri: str, count: int, barrier: Barrier, out: multiprocessing.Queue) -> None:  # type: ignore[type-arg]
    with psycopg.connect(uri, autocommit=True) as conn:
        barrier.wait()
        ids = [str(conn.execute("SELECT enterprise.next_temp_id()").fetchone()[0]) for _ in range(count)]  # type: ignore[index]
    out.put(ids)


def run_temp(report: Report, *, quick: bool) -> None:
    per = 1_000 if quick else 5_000
    connections = 8
    repro = command("bench/bench_queue.py", *(["--quick"] if quick else []))
    print(f"\n== TEMP minting: {connections} connections x {per:,} ids")
    uri = fresh_database("enrichment_bench_temp")
    ctx = multiprocessing.get_context("spawn")
    barrier = ctx.Barrier(connections + 1)
    out: multiprocessing.Queue = ctx.Queue()  # type: ignore[type-arg]
    processes = [ctx.Process(target=_mint, args=(uri, per, barrier, out)) for _ in range(connections)]
    for process in processes:
        process.start()
    barrier.wait()
    start = time.perf_counter()
    ids = [temp_id for _ in processes for temp_id in out.get()]
    seconds = time.perf_counter() - start
    for process in processes:
        process.join()
    unique = len(set(ids)) == len(ids) == per * connections
    report.add(
        f"TEMP ids minted per second, {connections} connections",
        len(ids) / seconds,
        "ids/s",
        baseline=f"{len(ids):,} ids, all distinct: {unique}",
        ok=unique,
        bar="no id repeats",
        reproduce=repro,
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    report = Report("quick" if args.quick else "full")
    run_queue(report, quick=args.quick)
    run_temp(report, quick=args.quick)
