"""Prometheus metrics and health checks of a running worker (``company-enrichment work --metrics-port``).

One HTTP server on one port serves:

- ``/metrics``: Prometheus text exposition (``prometheus_client``): what this process did (claims, outcomes, EQC
  requests by result class, EQC latency, settle latency, time waited for the shared rate limit, threads alive) and,
  read at each scrape, the queue's own figures from ``enterprise.lookup_queue_stats``;
- ``/healthz``: 200 while the process runs;
- ``/readyz``: 200 while the database answers and EQC has not refused the token, else 503.

No label carries a customer name, a request's name or the token: the only labels are fixed words.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.exposition import CONTENT_TYPE_LATEST, generate_latest
from prometheus_client.registry import Collector

from .db import EnrichmentDB
from .models import QueueRunStats

__all__ = ["EQC_RESULTS", "OUTCOMES", "MetricsServer", "WorkerMetrics"]

logger = logging.getLogger("company_enrichment.metrics")

PREFIX = "company_enrichment"
OUTCOMES = ("found", "not_found", "retried", "failed", "released", "lost", "review")
EQC_RESULTS = ("ok", "401", "404", "429", "5xx", "timeout", "malformed", "transport", "other")
LATENCY_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)


class WorkerMetrics:
    """The metrics of one worker process, in a registry of its own.

    ``totals`` (set by the command) returns what the worker did so far; ``threads_alive`` how many of its threads
    run. The EQC client reports each request (:meth:`eqc_request`, :meth:`eqc_rate_limit_wait`), the service each
    settlement (:meth:`settled`). ``db`` is read at each scrape for the queue's gauges and for readiness.
    """

    def __init__(self, db: EnrichmentDB, *, db_timeout: float = 2.0) -> None:
        self.db = db
        self.db_timeout = db_timeout
        self.registry = CollectorRegistry(auto_describe=True)
        self.totals: Callable[[], QueueRunStats] = QueueRunStats
        self.threads_alive: Callable[[], int] = lambda: 0
        self._token_refused = threading.Event()
        self._eqc_requests = Counter(
            f"{PREFIX}_eqc_requests",
            "EQC HTTP requests sent, by result class.",
            ["result"],
            registry=self.registry,
        )
        for result in EQC_RESULTS:
            self._eqc_requests.labels(result=result)
        self._eqc_latency = Histogram(
            f"{PREFIX}_eqc_request_seconds",
            "EQC HTTP request latency (sending to answer, or to the failure).",
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self._settle_latency = Histogram(
            f"{PREFIX}_settle_latency_seconds",
            "From EQC's first held answer to its settlement in the database.",
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self._rate_wait = Counter(
            f"{PREFIX}_eqc_rate_limit_wait_seconds",
            "Time spent waiting for a slot of the shared EQC rate limit.",
            registry=self.registry,
        )
        self.registry.register(_Collector(self))

    # -------------------------------------------------------------------------------------- observations

    def eqc_request(self, result: str, seconds: float) -> None:
        self._eqc_requests.labels(result=result if result in EQC_RESULTS else "other").inc()
        self._eqc_latency.observe(seconds)
        if result == "401":
            self._token_refused.set()

    def eqc_rate_limit_wait(self, seconds: float) -> None:
        self._rate_wait.inc(max(0.0, seconds))

    def settled(self, seconds: float) -> None:
        self._settle_latency.observe(max(0.0, seconds))

    # ------------------------------------------------------------------------------------------- health

    @property
    def token_refused(self) -> bool:
        return self._token_refused.is_set()

    def ready(self) -> tuple[bool, str]:
        """(ready, why): the database answers and EQC has not refused the token."""
        if self.token_refused:
            return False, "EQC refused the token"
        try:
            self.db.ping(timeout=self.db_timeout)
        except Exception as exc:  # any failure to answer means not ready
            return False, f"the database does not answer ({type(exc).__name__})"
        return True, "ready"

    def exposition(self) -> bytes:
        return generate_latest(self.registry)


class _Collector(Collector):
    """The figures read at scrape time: the worker's totals, its threads, the queue's own counts."""

    def __init__(self, metrics: WorkerMetrics) -> None:
        self._m = metrics

    def describe(self) -> Iterator[Metric]:
        return iter(())  # collected afresh at every scrape

    def collect(self) -> Iterator[Metric]:
        totals = self._m.totals()
        claims = CounterMetricFamily(f"{PREFIX}_claims", "Lookup requests claimed by this worker.")
        claims.add_metric([], totals.claimed)
        yield claims
        outcomes = CounterMetricFamily(
            f"{PREFIX}_outcomes", "Claimed requests by what became of them.", labels=["outcome"]
        )
        for outcome in OUTCOMES:
            outcomes.add_metric([outcome], getattr(totals, outcome))
        yield outcomes
        alive = GaugeMetricFamily(f"{PREFIX}_worker_threads_alive", "Worker threads running.")
        alive.add_metric([], self._m.threads_alive())
        yield alive
        up = GaugeMetricFamily(f"{PREFIX}_queue_stats_up", "1 when lookup_queue_stats could be read at this scrape.")
        try:
            stats = self._m.db.queue_stats()
        except Exception as exc:
            logger.warning("metrics: lookup_queue_stats could not be read: %s", type(exc).__name__)
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        for name, help_text in (
            ("pending", "Requests waiting (due or backing off)."),
            ("due", "Pending requests whose next attempt is due."),
            ("processing", "Requests leased by a worker."),
            ("failed", "Requests that failed for good."),
            ("review", "Requests waiting for a person."),
            ("failures_last_hour", "Requests that failed an attempt in the last hour."),
        ):
            gauge = GaugeMetricFamily(f"{PREFIX}_queue_{name}", help_text)
            gauge.add_metric([], getattr(stats, name))
            yield gauge
        age = GaugeMetricFamily(
            f"{PREFIX}_queue_oldest_pending_age_seconds", "Age of the oldest pending request (0 when none)."
        )
        age.add_metric([], stats.oldest_pending_age.total_seconds() if stats.oldest_pending_age else 0.0)
        yield age


class MetricsServer:
    """``/metrics``, ``/healthz`` and ``/readyz`` on one port, served from a daemon thread."""

    def __init__(self, metrics: WorkerMetrics, host: str = "127.0.0.1", port: int = 0) -> None:
        handler = _handler(metrics)
        self._server = ThreadingHTTPServer((host, port), handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, name="metrics-http", daemon=True)

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    def start(self) -> MetricsServer:
        self._thread.start()
        return self

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> MetricsServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def _handler(metrics: WorkerMetrics) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            path = self.path.split("?", 1)[0]
            if path == "/metrics":
                self._send(200, metrics.exposition(), CONTENT_TYPE_LATEST)
            elif path == "/healthz":
                self._send(200, b"ok\n")
            elif path == "/readyz":
                ready, why = metrics.ready()
                self._send(200 if ready else 503, f"{why}\n".encode())
            else:
                self._send(404, b"not found: try /metrics, /healthz or /readyz\n")

        def _send(self, status: int, body: bytes, content_type: str = "text/plain; charset=utf-8") -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            logger.debug("metrics http: " + format, *args)

    return Handler
