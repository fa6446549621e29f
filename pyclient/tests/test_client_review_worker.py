"""Issue 19, the Python client review: the queue worker. Answers settled on time, leases never outlived, errors that
stop the worker cleanly, stops that cut waits short, LISTEN after a reconnect.

Real PostgreSQL; EQC is the stand-in, or a small fault-injecting HTTP server on loopback. Timings are scaled down
(leases of 2 s, Retry-After of a few seconds) where the behaviour is the same.
"""

from __future__ import annotations

import gzip
import logging
import signal
import subprocess
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest
from company_enrichment.cli import app
from company_enrichment.db import EnrichmentDB
from company_enrichment.eqc import EQCClient, EQCClientError
from company_enrichment.ratelimit import DatabaseRateLimiter
from company_enrichment.service import CompanyEnrichmentService
from company_enrichment.standin import EQCStandin, Fault
from company_enrichment.worker import WorkerResult, run_worker
from psycopg.conninfo import conninfo_to_dict, make_conninfo
from psycopg_pool import ConnectionPool
from test_reliability_worker import worker_command, worker_env
from typer.testing import CliRunner

TOKEN = "review-worker-token"
runner = CliRunner()


def wait_until(predicate: Callable[[], bool], timeout: float, what: str, interval: float = 0.02) -> float:
    """Poll until ``predicate`` holds; returns the seconds it took."""
    started = time.monotonic()
    while not predicate():
        if time.monotonic() - started > timeout:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(interval)
    return time.monotonic() - started


@dataclass
class Rig:
    db_uri: str
    db: EnrichmentDB
    standin: EQCStandin
    tag: str
    tmp_path: Path
    processes: list[subprocess.Popen[bytes]] = field(default_factory=list)

    def known(self, i: int) -> str:
        return f"{self.tag}复审工人{i}有限公司"

    def key(self, name: str) -> str:
        (normalized,) = self.db.normalize_names([name])
        assert normalized is not None
        return normalized

    def enqueue(self, *names: str) -> list[int]:
        return [self.db.enqueue_lookup(n).id for n in names]

    def query(self, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        with psycopg.connect(self.db_uri, autocommit=True) as conn:
            return conn.execute(sql, params).fetchall()

    def states(self) -> Counter[str]:
        rows = self.query(
            "SELECT status || coalesce('/' || outcome, ''), count(*) FROM enterprise.lookup_requests GROUP BY 1"
        )
        return Counter({str(k): int(v) for k, v in rows})

    def status(self, request_id: int) -> str:
        rows = self.query("SELECT status FROM enterprise.lookup_requests WHERE id = %s", (request_id,))
        return str(rows[0][0])

    def searches(self) -> Counter[str]:
        return Counter(r.key for r in self.standin.request_log if r.key is not None)

    def client(self, *, retry_max: int = 0, rate: int = 60_000, base_url: str | None = None) -> EQCClient:
        return EQCClient(
            base_url or self.standin.url,
            self.standin.token,
            timeout=10.0,
            retry_max=retry_max,
            backoff_base=0.01,
            rate_limiter=DatabaseRateLimiter(self.db, rate, bucket=f"review-{self.tag}"),
        )

    def env(self, **extra: str) -> dict[str, str]:
        return worker_env(self.db_uri, self.standin, **{"WDH_LOG_LEVEL": "INFO", **extra})

    def start_worker(self, *args: str, env: dict[str, str]) -> tuple[subprocess.Popen[bytes], Path]:
        log = self.tmp_path / f"worker{len(self.processes)}.log"
        with log.open("wb") as out:
            process = subprocess.Popen(
                [*worker_command(), "work", *args], env=env, cwd=self.tmp_path, stdout=out, stderr=subprocess.STDOUT
            )
        self.processes.append(process)
        return process, log


@pytest.fixture
def rig(db_uri: str, empty_queue: None, tag: str, tmp_path: Path) -> Iterator[Rig]:
    companies = [
        {"companyId": f"7{30000000 + i}", "companyFullName": f"{tag}复审工人{i}有限公司", "unite_code": None}
        for i in range(40)
    ]
    with (
        EnrichmentDB.connect(db_uri, max_size=8) as db,
        EQCStandin({"token": TOKEN, "companies": companies}).start() as standin,
    ):
        rig = Rig(db_uri=db_uri, db=db, standin=standin, tag=tag, tmp_path=tmp_path)
        try:
            yield rig
        finally:
            for process in rig.processes:
                if process.poll() is None:
                    process.kill()
                    process.wait()


def in_thread(target: Callable[[], Any]) -> tuple[threading.Thread, list[Any]]:
    out: list[Any] = []
    thread = threading.Thread(target=lambda: out.append(target()), daemon=True)
    thread.start()
    return thread, out


# ------------------------------------------------------------------------------ 1. answers settled on time


@pytest.mark.parametrize("fault", ["slow", "429"])
def test_an_answer_is_settled_within_a_second_whatever_the_next_lookup_does(rig: Rig, fault: str) -> None:
    first, second = rig.known(1), rig.known(2)
    ids = rig.enqueue(first, second)
    if fault == "slow":
        rig.standin.inject(Fault(kind="slow", delay=3.0, name=rig.key(second)))
        eqc = rig.client()
    else:  # two 429s with Retry-After 1.5, then the answer: the client waits 3 s in all
        rig.standin.inject(Fault(kind="429", retry_after=1.5, times=2, name=rig.key(second)))
        eqc = rig.client(retry_max=2)
    with eqc:
        service = CompanyEnrichmentService(rig.db, eqc)
        started = time.monotonic()
        thread, out = in_thread(lambda: service.process_lookup_queue(batch_size=10))
        settled_after = wait_until(lambda: rig.status(ids[0]) == "done", 10, "the first answer to be settled")
        second_status = rig.status(ids[1])
        thread.join(15)
    assert not thread.is_alive()
    assert settled_after <= 1.5, f"the first answer was settled {settled_after:.2f} s after the start"
    assert second_status == "processing", "the second lookup was still under way"
    assert out[0].found == 2 and rig.states() == Counter({"done/found": 2})
    took = time.monotonic() - started
    print(f"\n{fault}: first answer settled {settled_after:.2f} s after the start; run {took:.1f} s")


# -------------------------------------------------------------------------------- 2. leases never outlived


def test_four_threads_at_the_rate_limit_search_each_name_once(rig: Rig, short_lease: None) -> None:
    """The issue's scenario scaled down: lease 2 s, 300 searches a minute (0.2 s apart), batch 10, 4 threads,
    40 names. A thread's share (75 a minute) looks up 2 names in a lease, so it claims 2 at a time, and renews."""
    names = [rig.known(i) for i in range(40)]
    rig.enqueue(*names)
    process, log = rig.start_worker(
        "--once", "--concurrency", "4", "--batch-size", "10", env=rig.env(WDH_EQC_RATE_LIMIT="300")
    )
    try:
        code = process.wait(60)
    except subprocess.TimeoutExpired:
        process.kill()
        raise
    output = log.read_text(encoding="utf-8", errors="replace")
    assert code == 0, output
    searches = rig.searches()
    assert rig.states() == Counter({"done/found": 40}), output
    assert sum(searches.values()) == 40 and set(searches.values()) == {1}, searches.most_common(3)
    assert "lost 0" in output and "claiming 2 at a time" in output, output
    attempts = {int(r[0]) for r in rig.query("SELECT attempts FROM enterprise.lookup_requests")}
    assert attempts == {1}


def test_leases_are_renewed_while_a_lookup_waits(rig: Rig, short_lease: None) -> None:
    """One name whose answer takes 4.5 s (two lease lengths): nobody may take it over meanwhile."""
    (request_id,) = rig.enqueue(rig.known(3))
    rig.standin.inject(Fault(kind="slow", delay=4.5, name=rig.key(rig.known(3))))
    with rig.client() as eqc:
        service = CompanyEnrichmentService(rig.db, eqc, worker_name=f"{rig.tag}-slow")
        thread, out = in_thread(lambda: service.process_lookup_queue(batch_size=10))
        wait_until(lambda: rig.status(request_id) == "processing", 5, "the claim")
        time.sleep(3.0)  # past the 2 s lease: without renewal another worker could claim it now
        thief = rig.db.claim_lookups(10, f"{rig.tag}-thief")
        thread.join(10)
    assert thief == [], "the lease was renewed"
    assert out[0].found == 1 and out[0].lost == 0


# ----------------------------------------------------------------------- 4. errors stop the worker cleanly


class _BadGzipHandler(BaseHTTPRequestHandler):
    """A gateway that says Content-Encoding: gzip and sends a body that is not gzip."""

    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:
        body = b'{"list": []}'  # plain JSON, not gzip
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Encoding", "gzip")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def bad_gzip_url() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _BadGzipHandler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_a_body_that_is_not_what_content_encoding_says_is_an_eqc_error(rig: Rig, bad_gzip_url: str) -> None:
    assert gzip.compress(b"x")[:2] == b"\x1f\x8b"  # what a gzip body would start with; the server sends JSON
    with rig.client(retry_max=1, base_url=bad_gzip_url) as eqc, pytest.raises(EQCClientError) as info:
        eqc.search_company("某公司")
    assert "DecodingError" in str(info.value) and isinstance(info.value.__cause__, httpx.DecodingError)


def test_work_and_resolve_survive_a_gateway_that_mangles_gzip(
    rig: Rig, bad_gzip_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    ids = rig.enqueue(*(rig.known(i) for i in range(5)))
    process, log = rig.start_worker("--once", env=rig.env(WDH_EQC_BASE_URL=bad_gzip_url))
    code = process.wait(30)
    output = log.read_text(encoding="utf-8", errors="replace")
    assert code == 0, output
    assert "Traceback" not in output
    assert "claimed 5, found 0, not_found 0, retried 5, failed 0" in output, output
    rows = rig.query("SELECT status, attempts, last_error FROM enterprise.lookup_requests ORDER BY id")
    assert [(r[0], r[1]) for r in rows] == [("pending", 1)] * 5, "each a failed attempt, none left processing"
    assert all("DecodingError" in str(r[2]) for r in rows)

    # resolve: EQC errors never escape it; the request goes back to the queue.
    for key, value in rig.env(WDH_EQC_BASE_URL=bad_gzip_url).items():
        if key.startswith("WDH_"):
            monkeypatch.setenv(key, value)
    records = rig.tmp_path / "in.csv"
    records.write_text(f"customer_name\n{rig.tag}全新名称\n", encoding="utf-8")
    result = runner.invoke(app, ["resolve", str(records), "-o", str(rig.tmp_path / "out.csv"), "--budget", "1"])
    assert result.exit_code == 0, (result.output, result.exception)
    assert len(ids) == 5
    (row,) = rig.query(
        "SELECT status, attempts FROM enterprise.lookup_requests WHERE normalized_name = enterprise.normalize_name(%s)",
        (f"{rig.tag}全新名称",),
    )
    assert row == ("pending", 1)


class _BuggyTransport(httpx.BaseTransport):
    """Stands for a bug below the EQC client: an exception that is no httpx error at all."""

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        raise RuntimeError("a bug in a transport")


def test_the_worker_releases_what_it_holds_and_reports_any_error(rig: Rig) -> None:
    rig.enqueue(*(rig.known(i) for i in range(6)))
    eqc = EQCClient(rig.standin.url, TOKEN, retry_max=0, transport=_BuggyTransport(), rate_limit_per_minute=60_000)
    with eqc:
        started = time.monotonic()
        result = run_worker(
            rig.db,
            lambda i: CompanyEnrichmentService(rig.db, eqc, worker_name=f"{rig.tag}:{i}"),
            batch_size=3,
            concurrency=2,
            poll_interval=30,
        )
        took = time.monotonic() - started
    assert took < 5, f"run_worker returned after {took:.1f} s"
    assert result.errors and "RuntimeError: a bug in a transport" in result.errors[0]
    rows = rig.query("SELECT status, attempts, lease_owner FROM enterprise.lookup_requests")
    assert rows == [("pending", 0, None)] * 6, "released, no attempt spent, nothing left processing"


def test_an_unbounded_retry_after_is_capped(rig: Rig) -> None:
    rig.enqueue(*(rig.known(i) for i in range(3)))
    rig.standin.inject(Fault(kind="429", retry_after=1e13, times=None))
    process, log = rig.start_worker("--once", env=rig.env())
    code = process.wait(30)
    output = log.read_text(encoding="utf-8", errors="replace")
    assert code == 0, output
    assert "claimed 3, found 0, not_found 0, retried 3, failed 0" in output, output
    rows = rig.query(
        "SELECT status, round(extract(epoch FROM next_attempt_at - now()) / 3600) FROM enterprise.lookup_requests"
    )
    assert rows == [("pending", 6)] * 3, "retried after the 6 h cap"


# ----------------------------------------------------------------------------- 5. stops cut waits short


def test_sigterm_during_retry_after_exits_within_2_s_and_sends_nothing_more(rig: Rig) -> None:
    (request_id,) = rig.enqueue(rig.known(7))
    rig.standin.inject(Fault(kind="429", retry_after=20, times=3))
    process, log = rig.start_worker("--poll-interval", "30", env=rig.env(WDH_EQC_RETRY_MAX="3"))
    wait_until(lambda: len(rig.standin.request_log) == 1, 20, "the first (429) answer")
    time.sleep(0.5)
    process.send_signal(signal.SIGTERM)
    signalled = time.monotonic()
    code = process.wait(10)
    took = time.monotonic() - signalled
    output = log.read_text(encoding="utf-8", errors="replace")
    assert code == 0, output
    assert took < 2.0, f"exited {took:.1f} s after SIGTERM"
    assert len(rig.standin.request_log) == 1, "no EQC request after the stop"
    assert rig.query("SELECT status, attempts FROM enterprise.lookup_requests WHERE id = %s", (request_id,)) == [
        ("pending", 0)
    ]
    assert "released 1" in output, output


class _WaitsOnMainThread(threading.Event):
    """A stop event that records every wait() made on the main thread."""

    def __init__(self) -> None:
        super().__init__()
        self.main_thread_waits = 0

    def wait(self, timeout: float | None = None) -> bool:
        if threading.current_thread() is threading.main_thread():
            self.main_thread_waits += 1
        return super().wait(timeout)


def test_the_thread_that_takes_the_signal_never_waits_on_the_stop_event(rig: Rig) -> None:
    """The command's SIGTERM/SIGINT handler calls stop.set() on the main thread, the thread that runs run_worker's
    watch loop. Event.wait() holds the event's lock (a plain, non-reentrant Lock) on its way in and out; a signal
    landing there made set() wait for that lock forever, and the worker threads never saw the stop (a make test run
    caught a SIGTERMed worker settling its whole batch and never exiting). So the watch loop must sleep and read the
    flag, and never wait() on the event itself; the worker threads may."""
    rig.enqueue(rig.known(1), rig.known(2))
    stop = _WaitsOnMainThread()
    with rig.client() as eqc:
        result = run_worker(
            rig.db,
            lambda i: CompanyEnrichmentService(rig.db, eqc, worker_name=f"{rig.tag}:{i}"),
            once=True,
            batch_size=10,
            concurrency=2,
            stop=stop,
        )
    assert not result.errors, result.errors
    assert rig.states() == Counter({"done/found": 2})
    assert stop.main_thread_waits == 0


def test_a_stop_request_is_polled_and_set_by_the_calling_thread(rig: Rig) -> None:
    """The command's signal handler only records the signal (``stop_requested``); run_worker's watch loop, on the
    thread the handler runs on, sets the stop event itself, so the handler never touches the event's lock. Idle
    workers (an empty queue, a 30 s poll) stop within a fraction of a second of the request."""
    stop = _WaitsOnMainThread()
    started = time.monotonic()
    asked_at = started + 0.5
    with rig.client() as eqc:
        result = run_worker(
            rig.db,
            lambda i: CompanyEnrichmentService(rig.db, eqc, worker_name=f"{rig.tag}:{i}"),
            batch_size=10,
            concurrency=2,
            poll_interval=30,
            stop=stop,
            stop_requested=lambda: time.monotonic() >= asked_at,
        )
    took = time.monotonic() - started
    assert not result.errors, result.errors
    assert stop.is_set() and stop.main_thread_waits == 0
    assert 0.5 <= took < 2.0, f"run_worker returned {took:.2f} s after it started (stop asked at 0.5 s)"


def test_a_stop_wakes_a_worker_waiting_for_a_rate_limit_slot_or_idle(rig: Rig) -> None:
    rig.enqueue(rig.known(8), rig.known(9))
    with rig.client(rate=1) as eqc:  # one search a minute: the second waits ~60 s for its slot
        stop = threading.Event()
        result: list[WorkerResult] = []
        thread = threading.Thread(
            target=lambda: result.append(
                run_worker(
                    rig.db,
                    lambda i: CompanyEnrichmentService(rig.db, eqc, worker_name=f"{rig.tag}:{i}"),
                    batch_size=10,
                    poll_interval=30,
                    stop=stop,
                )
            ),
            daemon=True,
        )
        thread.start()
        wait_until(lambda: rig.states()["done/found"] == 1, 10, "the first search")
        time.sleep(0.5)
        stop.set()
        thread.join(2.0)
        assert not thread.is_alive(), "the worker did not stop within 2 s of the stop request"
    assert len(rig.standin.request_log) == 1
    assert rig.states() == Counter({"done/found": 1, "pending": 1})
    assert result[0].stats.released == 1 and not result[0].errors

    # An idle worker (nothing due, polling every 30 s) stops at once too.
    stop = threading.Event()
    with rig.client() as eqc:
        thread, _ = in_thread(
            lambda: run_worker(rig.db, lambda i: CompanyEnrichmentService(rig.db, eqc), poll_interval=30, stop=stop)
        )
        time.sleep(0.5)
        stop.set()
        thread.join(2.0)
        assert not thread.is_alive(), "an idle worker did not stop within 2 s"


# ---------------------------------------------------------------------------------- 6. LISTEN, reconnects


@pytest.fixture(params=["host and port as kwargs", "a plain URI"])
def kwargs_db(db_uri: str, request: pytest.FixtureRequest) -> Iterator[EnrichmentDB]:
    """An injected pool whose host and port are connection kwargs, not part of its conninfo (or a plain one)."""
    params = conninfo_to_dict(db_uri)
    kwargs: dict[str, Any] = {"autocommit": True, "application_name": "review-kwargs-pool"}
    if request.param == "host and port as kwargs":
        kwargs.update(host=params.pop("host"), port=params.pop("port"))
    pool = ConnectionPool(make_conninfo("", **params), min_size=1, max_size=4, kwargs=kwargs, open=True)
    try:
        yield EnrichmentDB(pool)
    finally:
        pool.close()


def test_listen_uses_the_pools_settings_and_wakes_after_a_reconnect(
    rig: Rig, kwargs_db: EnrichmentDB, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="company_enrichment.worker")
    pool_kwargs = kwargs_db.pool.kwargs
    with_kwargs = isinstance(pool_kwargs, dict) and "host" in pool_kwargs
    stop = threading.Event()
    with rig.client() as eqc:
        thread, _ = in_thread(
            lambda: run_worker(
                kwargs_db,
                lambda i: CompanyEnrichmentService(kwargs_db, eqc, worker_name=f"{rig.tag}:{i}"),
                poll_interval=30,
                stop=stop,
                reconnect_delay=1.0,
            )
        )
        try:

            def listener_pids() -> list[tuple[Any, ...]]:
                # With exactly the pool's settings, the LISTEN connection carries its application_name.
                return rig.query(
                    "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND query LIKE 'LISTEN%%'"
                    " AND (application_name = 'review-kwargs-pool' OR %s)",
                    (not with_kwargs,),
                )

            wait_until(lambda: len(listener_pids()) == 1, 5, "the LISTEN connection, with the pool's settings")
            (first,) = rig.enqueue(rig.known(11))
            woke = wait_until(lambda: rig.status(first) == "done", 5, "the NOTIFY to wake the worker")

            (pid,) = listener_pids()[0]
            assert rig.query("SELECT pg_terminate_backend(%s)", (pid,)) == [(True,)]
            (second,) = rig.enqueue(rig.known(12))  # its NOTIFY goes to nobody: the listener is down
            after_reconnect = wait_until(lambda: rig.status(second) == "done", 5, "the wake-up after the reconnect")
        finally:
            stop.set()
            thread.join(5)
    lost = [r for r in caplog.records if "lost its connection" in r.getMessage()]
    assert [r.levelno for r in lost] == [logging.WARNING], "one WARNING for the outage"
    print(f"\nLISTEN: woke in {woke:.2f} s; after a reconnect {after_reconnect:.2f} s (poll interval 30 s)")
