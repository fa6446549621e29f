"""Queue-throughput runners for two peer PostgreSQL job queues: procrastinate and pgqueuer.

Issue 5, item 4 compares the lookup queue's cycles per second with peers doing the equivalent job on the
same database server, in the same run: each cycle fetches a job, runs a no-op and marks the job done.
``jobs`` jobs are queued first (not timed); then ``workers`` worker processes drain them all, timed from
the moment every worker is connected and released at once to the moment the last worker has finished
(its last job marked done). Afterwards the database is asked how many jobs are done; ``done`` must
equal ``jobs``.

Fairness, as configured here:

- A worker is an OS process (``multiprocessing``, spawn) with its own connections, so the GIL of one
  Python process does not cap a peer. Imports, connection set-up and schema checks happen before the
  clock starts; workers wait on a barrier and start together.
- Jobs and handlers are async no-ops; each peer's own completion path marks them done.
- No artificial sleeps: procrastinate runs with ``wait=False`` (drain, then exit) and a short polling
  interval; pgqueuer runs in its ``drain`` mode with a short ``dequeue_timeout``. LISTEN/NOTIFY stays as
  each peer does by default.
- Both peers run on uvloop (pgqueuer's own CLI does; it is a dependency of pgqueuer). procrastinate uses
  psycopg 3, its own driver. pgqueuer uses asyncpg, its primary driver, when it is installed
  (``pgqueuer[asyncpg]``): pgqueuer's psycopg driver holds the connection's lock while it waits up to 1 s
  for a NOTIFY, which stalls the worker's queries and cuts its throughput several times over.
- After the bulk enqueue, the peer's tables are ANALYZEd and a CHECKPOINT is taken (untimed), so no run
  starts with stale statistics or a pending checkpoint.
- Tables are truncated before every run; the schema is installed once per database with the peer's own
  installer (procrastinate's schema manager, pgqueuer's ``Queries.install``, i.e. ``pgq install``).

Per-job work that each peer does by design (and that is counted, as it is part of its cycle):

- procrastinate: fetch is a plpgsql function taking one job (``FOR UPDATE SKIP LOCKED``); finishing is
  another; status-change triggers write two rows per job to ``procrastinate_events`` (started,
  succeeded) besides the ``deferred`` one written at enqueue time.
- pgqueuer: dequeue writes a ``picked`` row to ``pgqueuer_log`` per job; completion deletes the job and
  writes a ``successful`` log row, batched per worker (up to ``batch`` completions per statement, or
  every 0.1 s). Every statement on the queue table sends one NOTIFY (a statement-level trigger).

Run alone (``python bench/peers.py --dsn postgresql://...``) it drives both peers through the four
(workers, batch) combinations of the issue and prints a table. Callers using spawn (the default) must
guard their own entry point with ``if __name__ == "__main__":``, as multiprocessing requires.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import importlib.util
import logging
import multiprocessing
import queue
import sys
import threading
import time
from collections.abc import AsyncIterator, Callable, Coroutine, Sequence
from dataclasses import dataclass
from datetime import timedelta
from importlib.metadata import version
from multiprocessing.context import SpawnProcess
from typing import TYPE_CHECKING, Literal, TypeVar

import psycopg
from common import cpu_seconds, wal_position

if TYPE_CHECKING:
    from multiprocessing.queues import Queue
    from multiprocessing.synchronize import Barrier

    import procrastinate
    from pgqueuer.domain.models import Job as PgqJob
    from pgqueuer.ports.driver import Driver as PgqDriver

T = TypeVar("T")
PgqDriverName = Literal["asyncpg", "psycopg"]

#: The (workers, batch) combinations of issue 5, item 4.
COMBINATIONS: tuple[tuple[int, int], ...] = ((1, 1), (4, 10), (4, 50), (8, 100))
DEFAULT_JOBS = 20_000

#: Seconds a worker may take to connect and reach the start barrier.
STARTUP_TIMEOUT = 60.0
#: Seconds a whole drain may take before the run is abandoned.
RUN_TIMEOUT = 600.0

PROCRASTINATE_QUEUE = "bench"
PROCRASTINATE_TASK = "bench_noop"
#: procrastinate's fallback poll when NOTIFY is missed (default 5 s). Unused with wait=False, which
#: stops a worker as soon as a fetch finds nothing; set low all the same.
PROCRASTINATE_POLLING_INTERVAL = 0.05
PGQUEUER_ENTRYPOINT = "bench_noop"
#: How long a pgqueuer worker waits for a NOTIFY once its dequeue came back empty (default 30 s). In drain
#: mode it only matters at the very end of the run.
PGQUEUER_DEQUEUE_TIMEOUT = timedelta(milliseconds=50)

# One worker report: (worker index, time.monotonic() when it finished, jobs it ran, error or None).
# time.monotonic() is CLOCK_MONOTONIC on Linux, one clock for every process of the machine.
WorkerReport = tuple[int, float, int, str | None]


@dataclass
class PeerResult:
    """The figures of one drain of one peer."""

    peer: str  # "procrastinate" / "pgqueuer"
    version: str
    workers: int
    batch: int | None  # None when the peer has no batch fetch
    jobs: int
    seconds: float
    cycles_per_second: float
    done: int  # jobs confirmed done in the database after the run (must equal jobs)
    cpu: float = 0.0  # busy CPU seconds of the whole machine over the drain (workers, backends, the rest)
    wal: int = 0  # WAL bytes the server wrote over the drain


# --------------------------------------------------------------------------------------------------
# Shared plumbing
# --------------------------------------------------------------------------------------------------


def _run_async(coro: Coroutine[object, object, T]) -> T:
    """Run ``coro`` on uvloop when it is installed (pgqueuer depends on it), else on asyncio's loop."""
    try:
        import uvloop
    except ImportError:  # pragma: no cover - uvloop comes with pgqueuer on Linux
        return asyncio.run(coro)
    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        return runner.run(coro)


def _sql(dsn: str, *statements: str) -> list[tuple[object, ...]]:
    """Run statements in autocommit mode on a fresh connection; return the last one's rows."""
    rows: list[tuple[object, ...]] = []
    with psycopg.connect(dsn, autocommit=True) as conn:
        for statement in statements:
            cur = conn.execute(statement.encode())
            rows = cur.fetchall() if cur.description else []
    return rows


def _settle(dsn: str, tables: Sequence[str]) -> None:
    """ANALYZE the freshly filled tables and checkpoint, so the timed drain starts from a calm server."""
    _sql(dsn, *(f"ANALYZE {table}" for table in tables))
    # CHECKPOINT needs superuser or pg_checkpoint; without it the run is only a little noisier.
    with contextlib.suppress(psycopg.Error):
        _sql(dsn, "CHECKPOINT")


def _drain(
    target: Callable[..., None],
    worker_args: tuple[object, ...],
    *,
    workers: int,
    jobs: int,
    dsn: str,
) -> tuple[float, int, float, int]:
    """Start ``workers`` processes running ``target``, release them together and wait for all to finish.

    Each process is called as ``target(index, barrier, reports, *worker_args)``; it connects, waits on
    the barrier, drains the queue, then puts one ``WorkerReport`` on ``reports``. Returns the seconds
    from the release to the last worker's finish, the number of jobs the workers say they ran, and the
    machine's busy CPU seconds from the release until every report was in (common.cpu_seconds), and the WAL
    bytes the server of ``dsn`` wrote between just before the release and every worker's exit
    (common.wal_position).
    """
    ctx = multiprocessing.get_context("spawn")
    barrier = ctx.Barrier(workers + 1)
    reports: Queue[WorkerReport] = ctx.Queue()
    processes: list[SpawnProcess] = [
        ctx.Process(target=target, args=(index, barrier, reports, *worker_args), daemon=True)
        for index in range(workers)
    ]
    for process in processes:
        process.start()
    wal_at_start = wal_position(dsn)
    try:
        try:
            barrier.wait(STARTUP_TIMEOUT)
        except threading.BrokenBarrierError as exc:  # a worker failed (and broke it), died or hung
            failures: list[str] = []
            with contextlib.suppress(queue.Empty):
                while len(failures) < workers:
                    index, _, _, error = reports.get(timeout=1.0)
                    failures.append(f"worker {index}: {error}")
            detail = "; ".join(failures) or f"exit codes {[p.exitcode for p in processes]}"
            raise RuntimeError(f"workers did not all start: {detail}") from exc
        started = time.monotonic()
        busy_at_start, busy = cpu_seconds()[0], 0.0
        collected: list[WorkerReport] = []
        deadline = started + RUN_TIMEOUT
        while len(collected) < workers:
            try:
                collected.append(reports.get(timeout=1.0))
            except queue.Empty:
                if time.monotonic() > deadline:
                    raise RuntimeError(f"workers still running after {RUN_TIMEOUT:.0f} s") from None
                dead = [p.exitcode for p in processes if p.exitcode not in (None, 0)]
                if dead:
                    # Its report (with the error) may still be in flight.
                    with contextlib.suppress(queue.Empty):
                        while len(collected) < workers:
                            collected.append(reports.get(timeout=1.0))
                    if not any(error for _, _, _, error in collected):
                        raise RuntimeError(f"a worker exited with code {dead[0]} before reporting") from None
                    break  # the finally below stops the others
        else:
            busy = cpu_seconds()[0] - busy_at_start
            for process in processes:
                process.join(STARTUP_TIMEOUT)
    finally:
        for process in processes:
            if process.is_alive():
                process.terminate()
                process.join(5.0)
    errors = [f"worker {index}: {error}" for index, _, _, error in collected if error]
    if errors:
        raise RuntimeError("; ".join(errors))
    finished = max(end for _, end, _, _ in collected)
    ran = sum(count for _, _, count, _ in collected)
    if ran < jobs:
        raise RuntimeError(f"workers ran {ran} jobs of {jobs}")
    return finished - started, ran, busy, wal_position(dsn) - wal_at_start


def _wait_barrier(barrier: Barrier) -> None:
    barrier.wait(STARTUP_TIMEOUT)


class _Counter:
    """Jobs run by this worker process (each worker is its own process, so a plain int will do)."""

    value = 0


# --------------------------------------------------------------------------------------------------
# procrastinate
# --------------------------------------------------------------------------------------------------

PROCRASTINATE_TABLES = (
    "procrastinate_events",
    "procrastinate_periodic_defers",
    "procrastinate_jobs",
    "procrastinate_workers",
)


async def _procrastinate_noop() -> None:
    _Counter.value += 1


def _procrastinate_app(dsn: str) -> procrastinate.App:
    import procrastinate

    # One connection LISTENs, one fetches and finishes jobs (concurrency 1); room for the heartbeat.
    connector = procrastinate.PsycopgConnector(conninfo=dsn, min_size=2, max_size=4)
    # procrastinate warns when an App is built in ``__main__`` (its CLI could not import it); not our case.
    blueprints_logger = logging.getLogger("procrastinate.blueprints")
    level = blueprints_logger.level
    blueprints_logger.setLevel(logging.ERROR)
    try:
        app = procrastinate.App(connector=connector)
    finally:
        blueprints_logger.setLevel(level)
    app.task(name=PROCRASTINATE_TASK, queue=PROCRASTINATE_QUEUE)(_procrastinate_noop)
    return app


async def _procrastinate_prepare(dsn: str, jobs: int) -> None:
    # A plain connection first: it fails at once where the pool would retry for 30 s.
    installed = _sql(dsn, "SELECT to_regclass('procrastinate_jobs') IS NOT NULL")[0][0]
    app = _procrastinate_app(dsn)
    async with app.open_async():
        if not installed:
            await app.schema_manager.apply_schema_async()
        _sql(dsn, f"TRUNCATE {', '.join(PROCRASTINATE_TABLES)} RESTART IDENTITY")
        await app.tasks[PROCRASTINATE_TASK].batch_defer_async(*({} for _ in range(jobs)))


async def _procrastinate_worker_async(index: int, barrier: Barrier, dsn: str) -> tuple[float, int]:
    app = _procrastinate_app(dsn)
    async with app.open_async():
        await asyncio.to_thread(_wait_barrier, barrier)
        await app.run_worker_async(
            queues=[PROCRASTINATE_QUEUE],
            name=f"bench-{index}",
            concurrency=1,
            wait=False,
            fetch_job_polling_interval=PROCRASTINATE_POLLING_INTERVAL,
            install_signal_handlers=False,
        )
        return time.monotonic(), _Counter.value


def _procrastinate_worker(index: int, barrier: Barrier, reports: Queue[WorkerReport], dsn: str) -> None:
    try:
        finished, ran = _run_async(_procrastinate_worker_async(index, barrier, dsn))
    except BaseException as exc:
        reports.put((index, time.monotonic(), _Counter.value, repr(exc)))
        barrier.abort()  # release the others and the parent at once
        raise
    reports.put((index, finished, ran, None))


def run_procrastinate(dsn: str, *, jobs: int, workers: int, batch: int) -> PeerResult:
    """Drain ``jobs`` no-op procrastinate jobs with ``workers`` worker processes.

    procrastinate has no batch fetch: a worker takes one job per ``procrastinate_fetch_job`` call and
    marks it done with one ``procrastinate_finish_job`` call. ``batch`` is therefore ignored (reported as
    ``None``, "n/a (1)"), and each worker runs with concurrency 1, so it holds one job at a time.
    The workers use ``wait=False``: each exits as soon as a fetch finds no job left.
    """
    del batch  # no batch fetch in procrastinate
    _run_async(_procrastinate_prepare(dsn, jobs))
    _settle(dsn, PROCRASTINATE_TABLES)
    seconds, _, cpu, wal = _drain(_procrastinate_worker, (dsn,), workers=workers, jobs=jobs, dsn=dsn)
    done, total = _sql(
        dsn,
        "SELECT count(*) FILTER (WHERE status = 'succeeded'), count(*) FROM procrastinate_jobs",
    )[0]
    assert isinstance(done, int) and isinstance(total, int)
    if total != jobs:
        raise RuntimeError(f"procrastinate_jobs holds {total} jobs, expected {jobs}")
    return PeerResult(
        peer="procrastinate",
        version=version("procrastinate"),
        workers=workers,
        batch=None,
        jobs=jobs,
        seconds=seconds,
        cycles_per_second=jobs / seconds,
        done=done,
        cpu=cpu,
        wal=wal,
    )


# --------------------------------------------------------------------------------------------------
# pgqueuer
# --------------------------------------------------------------------------------------------------

PGQUEUER_TABLES = ("pgqueuer", "pgqueuer_log", "pgqueuer_statistics")


@contextlib.asynccontextmanager
async def _pgqueuer_driver(dsn: str, driver: PgqDriverName) -> AsyncIterator[PgqDriver]:
    """One connection wrapped in the pgqueuer driver of that name."""
    if driver == "asyncpg":
        import asyncpg  # type: ignore[import-untyped]  # no stubs, no py.typed
        from pgqueuer import AsyncpgDriver

        conn = await asyncpg.connect(dsn)
        try:
            yield AsyncpgDriver(conn)
        finally:
            await conn.close()
    else:
        from pgqueuer import PsycopgDriver

        async with await psycopg.AsyncConnection.connect(dsn, autocommit=True) as pconn:
            yield PsycopgDriver(pconn)


async def _pgqueuer_prepare(dsn: str, jobs: int) -> None:
    from pgqueuer import Queries

    async with _pgqueuer_driver(dsn, "asyncpg" if _has_asyncpg() else "psycopg") as driver:
        queries = Queries(driver)
        installed = _sql(dsn, "SELECT to_regclass('pgqueuer') IS NOT NULL")[0][0]
        if not installed:
            await queries.install()
        _sql(dsn, f"TRUNCATE {', '.join(PGQUEUER_TABLES)} RESTART IDENTITY")
        await queries.enqueue([PGQUEUER_ENTRYPOINT] * jobs, [None] * jobs, [0] * jobs)


def _has_asyncpg() -> bool:
    return importlib.util.find_spec("asyncpg") is not None


async def _pgqueuer_noop(job: PgqJob) -> None:
    _Counter.value += 1


async def _pgqueuer_worker_async(
    barrier: Barrier, dsn: str, batch: int, driver_name: PgqDriverName
) -> tuple[float, int]:
    from pgqueuer import Queries, QueueManager
    from pgqueuer.types import QueueExecutionMode

    async with _pgqueuer_driver(dsn, driver_name) as driver:
        qm = QueueManager(Queries(driver))
        qm.entrypoint(PGQUEUER_ENTRYPOINT)(_pgqueuer_noop)
        await asyncio.to_thread(_wait_barrier, barrier)
        await qm.run(
            dequeue_timeout=PGQUEUER_DEQUEUE_TIMEOUT,
            batch_size=batch,
            mode=QueueExecutionMode.drain,
        )
        return time.monotonic(), _Counter.value


def _pgqueuer_worker(
    index: int, barrier: Barrier, reports: Queue[WorkerReport], dsn: str, batch: int, driver: PgqDriverName
) -> None:
    try:
        finished, ran = _run_async(_pgqueuer_worker_async(barrier, dsn, batch, driver))
    except BaseException as exc:
        reports.put((index, time.monotonic(), _Counter.value, repr(exc)))
        barrier.abort()  # release the others and the parent at once
        raise
    reports.put((index, finished, ran, None))


def run_pgqueuer(dsn: str, *, jobs: int, workers: int, batch: int, driver: PgqDriverName | None = None) -> PeerResult:
    """Drain ``jobs`` no-op pgqueuer jobs with ``workers`` worker processes dequeuing ``batch`` at a time.

    Each worker is a ``QueueManager`` over one psycopg connection, run in pgqueuer's ``drain`` mode
    (it exits once no job is queued and its own jobs are finished) with ``batch_size=batch``. pgqueuer
    buffers completions: a worker writes them up to ``batch`` per statement (or every 0.1 s), and its
    last ones when it shuts down, which is inside the timed span. ``max_concurrent_tasks`` keeps
    pgqueuer's default (no cap), so a worker dequeues again without waiting for its jobs to finish.
    ``driver`` defaults to asyncpg when it is installed, else psycopg (see the module docstring).
    """
    if driver is None:
        driver = "asyncpg" if _has_asyncpg() else "psycopg"
    _run_async(_pgqueuer_prepare(dsn, jobs))
    _settle(dsn, PGQUEUER_TABLES)
    seconds, _, cpu, wal = _drain(_pgqueuer_worker, (dsn, batch, driver), workers=workers, jobs=jobs, dsn=dsn)
    done, left = _sql(
        dsn,
        "SELECT (SELECT count(DISTINCT job_id) FROM pgqueuer_log WHERE status = 'successful'),"
        " (SELECT count(*) FROM pgqueuer)",
    )[0]
    assert isinstance(done, int) and isinstance(left, int)
    if left:
        raise RuntimeError(f"{left} pgqueuer jobs are still in the queue table")
    return PeerResult(
        peer="pgqueuer",
        version=version("pgqueuer"),
        workers=workers,
        batch=batch,
        jobs=jobs,
        seconds=seconds,
        cycles_per_second=jobs / seconds,
        done=done,
        cpu=cpu,
        wal=wal,
    )


# --------------------------------------------------------------------------------------------------
# Alone
# --------------------------------------------------------------------------------------------------

RUNNERS: dict[str, Callable[..., PeerResult]] = {
    "procrastinate": run_procrastinate,
    "pgqueuer": run_pgqueuer,
}
#: Whether the peer fetches several jobs at once (else its runner ignores ``batch``).
BATCH_FETCH: dict[str, bool] = {"procrastinate": False, "pgqueuer": True}


def _format(results: Sequence[PeerResult]) -> str:
    header = f"{'peer':<14} {'version':<8} {'workers':>7} {'batch':>7} {'jobs':>7} {'seconds':>8} {'cycles/s':>9}  done"
    lines = [header, "-" * len(header)]
    for r in results:
        batch = "n/a (1)" if r.batch is None else str(r.batch)
        check = "ok" if r.done == r.jobs else f"{r.done} of {r.jobs}!"
        lines.append(
            f"{r.peer:<14} {r.version:<8} {r.workers:>7} {batch:>7} {r.jobs:>7} {r.seconds:>8.2f} "
            f"{r.cycles_per_second:>9,.0f}  {check}"
        )
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--dsn", required=True, help="libpq URI of a scratch database (both peers' tables coexist)")
    parser.add_argument("--jobs", type=int, default=DEFAULT_JOBS, help=f"jobs per run (default {DEFAULT_JOBS})")
    parser.add_argument("--peer", choices=sorted(RUNNERS), action="append", help="only this peer (repeatable)")
    args = parser.parse_args(argv)
    results: list[PeerResult] = []
    for name in args.peer or list(RUNNERS):
        measured: set[tuple[int, int | None]] = set()
        for workers, batch in COMBINATIONS:
            key = (workers, batch if BATCH_FETCH[name] else None)
            if key in measured:
                continue  # procrastinate ignores batch: (4, 10) and (4, 50) would be the same run twice
            measured.add(key)
            result = RUNNERS[name](args.dsn, jobs=args.jobs, workers=workers, batch=batch)
            shown = result.batch or "n/a (1)"
            print(
                f"{result.peer} W={workers} batch={shown}: {result.cycles_per_second:,.0f} cycles/s",
                file=sys.stderr,
                flush=True,
            )
            results.append(result)
    print(_format(results))
    print(f"\nreproduce: {' '.join([sys.executable, *sys.argv])}")
    return 0 if all(r.done == r.jobs for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
