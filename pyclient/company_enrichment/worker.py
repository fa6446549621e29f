"""The long-running queue worker: drains enterprise.lookup_requests with one or more threads.

Idle threads sleep until a NOTIFY on ``enterprise_lookup`` (sent when requests are queued or
released) or until the polling interval passes, whichever comes first; the polling fallback also
picks up retries whose backoff has run out. A stop request (SIGINT/SIGTERM in the command line) lets
each thread finish the request in hand and release the rest of its batch. Lost database connections
are retried: a restarted server costs a pause, not a request.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from .db import EnrichmentDB
from .errors import DatabaseError, DatabaseUnavailableError
from .models import QueueRunStats
from .service import CompanyEnrichmentService

__all__ = ["WorkerResult", "run_worker"]

logger = logging.getLogger("company_enrichment.worker")


@dataclass
class WorkerResult:
    stats: QueueRunStats = field(default_factory=QueueRunStats)
    errors: list[str] = field(default_factory=list)

    @property
    def auth_failed(self) -> bool:
        return self.stats.auth_failed


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
) -> WorkerResult:
    """Run ``concurrency`` worker threads until ``stop`` is set, EQC refuses the token, or (``once``) nothing is due."""
    if concurrency < 1:
        raise ValueError("concurrency must be at least 1")
    stop = stop or threading.Event()
    wake = threading.Event()
    result = WorkerResult()
    lock = threading.Lock()

    def loop(index: int) -> None:
        service = make_service(index)
        stranded = False  # requests this thread held when the database went away
        while not stop.is_set():
            try:
                if stranded:
                    # Give them back at once rather than leave them to their lease (which would
                    # also spend an attempt each); their answers, if any, are looked up again.
                    released = service.release_held()
                    stranded = False
                    if released:
                        logger.warning("released %d request(s) held when the connection was lost", released)
                stats = service.process_lookup_queue(batch_size=batch_size, stop=stop)
            except DatabaseUnavailableError as exc:
                logger.warning("database unavailable (%s); retrying in %.1f s", exc.message, reconnect_delay)
                stranded = True
                stop.wait(reconnect_delay)
                continue
            except DatabaseError as exc:
                with lock:
                    result.errors.append(str(exc))
                logger.error("worker %s stopped on a database error: %s", service.worker_name, exc)
                stop.set()
                return
            with lock:
                result.stats.add(stats)
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
    for thread in threads:
        thread.start()
    listener = None
    if not once:
        listener = threading.Thread(target=_listen, args=(db, wake, stop, reconnect_delay), daemon=True)
        listener.start()
    try:
        while any(t.is_alive() for t in threads):
            for thread in threads:
                thread.join(timeout=0.2)
    finally:
        stop.set()
        wake.set()
        if listener is not None:
            listener.join(timeout=5)
    return result


def _listen(db: EnrichmentDB, wake: threading.Event, stop: threading.Event, reconnect_delay: float) -> None:
    """Turn NOTIFY enterprise_lookup into wake-ups; reconnect when the connection drops."""
    while not stop.is_set():
        try:
            with db.listen() as conn:
                while not stop.is_set():
                    for _ in conn.notifies(timeout=1.0, stop_after=1):
                        wake.set()
        except DatabaseError as exc:
            logger.info("notification listener lost its connection (%s); polling until it is back", exc.message)
            time.sleep(reconnect_delay)
