"""The long-running queue worker: drains enterprise.lookup_requests with one or more threads.

Idle threads sleep until a NOTIFY on ``enterprise_lookup`` (sent when requests are queued or
released) or until the polling interval passes, whichever comes first; the polling fallback also
picks up retries whose backoff has run out; every (re)connection of the listener wakes them once, for
what was queued while it was down. A stop request (SIGINT/SIGTERM in the command line) lets each thread
finish the HTTP request in hand, cuts every wait short and releases the rest of its batch. Lost database
connections are retried: a restarted server costs a pause, not a request. Any other error stops the
worker: the thread that met it releases what it holds, and the error is reported (exit 1 in the CLI).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from .db import EnrichmentDB
from .errors import DatabaseError, DatabaseUnavailableError
from .logs import set_worker
from .models import QueueRunStats
from .service import CompanyEnrichmentService

__all__ = ["WorkerMonitor", "WorkerResult", "run_worker"]

logger = logging.getLogger("company_enrichment.worker")

STOP_CHECK = 0.05  # seconds between looks at the stop event while threads run
LISTEN_TICK = 0.2  # the listener waits for a NOTIFY this long at a time, then looks at the stop event


@dataclass
class WorkerResult:
    stats: QueueRunStats = field(default_factory=QueueRunStats)
    errors: list[str] = field(default_factory=list)

    @property
    def auth_failed(self) -> bool:
        return self.stats.auth_failed


class WorkerMonitor:
    """What a running worker has done so far and how many of its threads run, readable from any thread (the
    metrics endpoint reads it at each scrape). Counts include the batch each thread is working through."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._done = QueueRunStats()
        self._live: dict[int, QueueRunStats] = {}
        self._threads: list[threading.Thread] = []

    def totals(self) -> QueueRunStats:
        with self._lock:
            total = self._done.model_copy()
            for stats in self._live.values():
                total.add(stats)
        return total

    def threads_alive(self) -> int:
        return sum(1 for t in self._threads if t.is_alive())


def run_worker(
    db: EnrichmentDB,
    make_service: Callable[[int], CompanyEnrichmentService],
    *,
    once: bool = False,
    batch_size: int = 50,
    concurrency: int = 1,
    poll_interval: float = 30.0,
    stop: threading.Event | None = None,
    reconnect_delay: float = 1.0,
    monitor: WorkerMonitor | None = None,
    stop_requested: Callable[[], bool] | None = None,
) -> WorkerResult:
    """Run ``concurrency`` worker threads until ``stop`` is set, EQC refuses the token, or (``once``) nothing is due.

    ``stop_requested``: polled by the calling thread, which then sets ``stop`` itself. A signal handler should
    record the request there (a flag) rather than call ``stop.set()``: the handler runs on the calling thread, and
    ``set()`` there could wait forever for the event's lock that the same thread was holding when the signal came.
    """
    if concurrency < 1:
        raise ValueError("concurrency must be at least 1")
    stop = stop or threading.Event()
    wake = threading.Event()
    monitor = monitor or WorkerMonitor()
    result = WorkerResult(stats=monitor._done)
    lock = monitor._lock

    def fail(error: BaseException, service: CompanyEnrichmentService | None) -> None:
        """Stop everything on an unexpected error, after giving back what this thread holds."""
        name = service.worker_name if service is not None else f"thread {threading.current_thread().name}"
        text = str(error) if isinstance(error, DatabaseError) else f"{type(error).__name__}: {error}"
        released = 0
        if service is not None:
            try:
                released = service.release_held()
            except Exception as exc:
                logger.warning("worker %s could not release what it holds: %s", name, exc)
        with lock:
            result.errors.append(text)
            result.stats.released += released
        logger.error("worker %s stopped on an error (released %d request(s)): %s", name, released, text)
        logger.debug("the error in full", exc_info=error)
        stop.set()

    def loop(index: int) -> None:
        try:
            service = make_service(index)
        except Exception as exc:
            fail(exc, None)
            return
        set_worker(service.worker_name)
        stranded = False  # requests this thread held when the database went away
        while not stop.is_set():
            stats = QueueRunStats()
            with lock:
                monitor._live[index] = stats
            try:
                if stranded:
                    # Give them back at once rather than leave them to their lease (which would
                    # also spend an attempt each); their answers, if any, are looked up again.
                    released = service.release_held()
                    stranded = False
                    if released:
                        logger.warning("released %d request(s) held when the connection was lost", released)
                service.process_lookup_queue(batch_size=batch_size, stop=stop, stats=stats)
            except DatabaseUnavailableError as exc:
                with lock:
                    result.stats.add(stats)
                    monitor._live.pop(index, None)
                logger.warning("database unavailable (%s); retrying in %.1f s", exc.message, reconnect_delay)
                stranded = True
                stop.wait(reconnect_delay)
                continue
            except Exception as exc:
                with lock:
                    result.stats.add(stats)
                    monitor._live.pop(index, None)
                fail(exc, service)
                return
            with lock:
                result.stats.add(stats)
                monitor._live.pop(index, None)
            if stats.auth_failed:
                stop.set()
                return
            if stats.claimed == 0:
                if once:
                    return
                wake.wait(poll_interval)
                wake.clear()

    threads = [
        threading.Thread(target=loop, args=(i,), name=f"lookup-worker-{i}", daemon=True) for i in range(concurrency)
    ]
    monitor._threads = threads
    for thread in threads:
        thread.start()
    listener = None
    if not once:
        listener = threading.Thread(target=_listen, args=(db, wake, stop, reconnect_delay), daemon=True)
        listener.start()
    try:
        # Idle threads sleep on ``wake``; a stop (a signal handler, a failing thread) must wake them at once, so this
        # thread watches ``stop`` itself rather than joining one thread after another (which let a stop wait for
        # 0.2 s per thread). It sleeps and reads the flag rather than ``stop.wait()``: a signal handler runs on this
        # thread, and one that called ``stop.set()`` while ``wait`` held the event's (non-reentrant) lock waited for
        # that lock forever, so the stop never reached the worker threads. The command's handler now only records
        # the request (``stop_requested``), and this thread sets ``stop``.
        while any(t.is_alive() for t in threads):
            if stop_requested is not None and not stop.is_set() and stop_requested():
                stop.set()
            if stop.is_set():
                wake.set()
            time.sleep(STOP_CHECK)
    finally:
        stop.set()
        wake.set()
        if listener is not None:
            listener.join(timeout=5)
    return result


def _listen(
    db: EnrichmentDB,
    wake: threading.Event,
    stop: threading.Event,
    reconnect_delay: float,
    check_interval: float = 30.0,
) -> None:
    """Turn NOTIFY enterprise_lookup into wake-ups; reconnect when the connection drops.

    Every (re)connection wakes the workers once: a request queued while the listener was down sent its NOTIFY
    to nobody. A lost connection is logged once at WARNING (and its return at INFO), not at every retry. The
    connection is checked with a round trip every ``check_interval`` seconds, so a half-open one is noticed.
    """
    lost = False
    while not stop.is_set():
        try:
            with db.listen() as listener:
                if lost:
                    logger.info("notification listener reconnected")
                lost = False
                wake.set()
                checked = time.monotonic()
                while not stop.is_set():
                    if listener.wait(LISTEN_TICK):
                        wake.set()
                    if time.monotonic() - checked >= check_interval:
                        listener.check()
                        checked = time.monotonic()
        except DatabaseError as exc:
            if not lost:
                logger.warning(
                    "notification listener lost its connection (%s); workers poll until it is back", exc.message
                )
            lost = True
            stop.wait(reconnect_delay)
