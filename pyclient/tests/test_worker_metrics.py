"""Prometheus metrics and health of the worker (issue 11): `/metrics` scraped with httpx during a real run against
the stand-in and parsed with prometheus_client's own parser, its counters matching the queue's counts afterwards;
`/healthz`; `/readyz` turning 503 when the database stops answering (a database of the test's own, closed to
connections, never the shared cluster) and back, and after EQC refuses the token."""

from __future__ import annotations

import signal
import socket
from collections.abc import Iterator
from pathlib import Path

import httpx
import psycopg
import pytest
from company_enrichment.db import EnrichmentDB
from company_enrichment.eqc import EQCAuthenticationError, EQCClient
from company_enrichment.metrics import MetricsServer, WorkerMetrics
from company_enrichment.standin import EQCStandin, Fault
from prometheus_client.parser import text_string_to_metric_families
from test_reliability_worker import Rig, make_rig, wait_until


@pytest.fixture
def rig(db_uri: str, empty_queue: None, tag: str, tmp_path: Path) -> Iterator[Rig]:
    with make_rig(db_uri, tag, tmp_path) as rig:
        yield rig


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def scrape(port: int) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample of /metrics, keyed by (name, sorted labels)."""
    text = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=5).text
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def value(samples: dict[tuple[str, tuple[tuple[str, str], ...]], float], name: str, **labels: str) -> float:
    return samples[(name, tuple(sorted(labels.items())))]


def test_metrics_scraped_during_a_real_run_match_the_queue(rig: Rig) -> None:
    known = [rig.known(i) for i in range(8)]
    unknown = [rig.unknown(i) for i in range(4)]
    broken = rig.known(30)
    rig.enqueue([*known, *unknown, broken])
    rig.standin.inject(Fault(kind="500", name=broken, times=1))
    rig.standin.inject(Fault(kind="slow", delay=0.15, times=None))
    port = free_port()
    worker = rig.start_worker("--batch-size", "5", "--concurrency", "2", "--metrics-port", str(port))

    def answering() -> bool:
        assert worker.process.poll() is None, worker.output()
        try:
            return httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200
        except httpx.TransportError:
            return False

    wait_until(answering, 30, "the metrics port")
    # Mid-run: the figures parse (whatever they are yet), and both threads run once started.
    wait_until(lambda: value(scrape(port), "company_enrichment_worker_threads_alive") == 2, 10, "2 threads alive")
    assert httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=5).status_code == 200

    wait_until(lambda: rig.states()["done/found"] + rig.states()["done/not_found"] == 12, 60, "12 requests done")
    wait_until(lambda: value(scrape(port), "company_enrichment_claims_total") == 13, 10, "13 claims counted")
    after = scrape(port)
    states = rig.states()
    assert states == {"done/found": 8, "done/not_found": 4, "pending": 1}, states
    assert value(after, "company_enrichment_outcomes_total", outcome="found") == states["done/found"]
    assert value(after, "company_enrichment_outcomes_total", outcome="not_found") == states["done/not_found"]
    assert value(after, "company_enrichment_outcomes_total", outcome="retried") == 1
    for outcome in ("failed", "released", "lost", "review"):
        assert value(after, "company_enrichment_outcomes_total", outcome=outcome) == 0, outcome
    assert value(after, "company_enrichment_eqc_requests_total", result="ok") == 12
    assert value(after, "company_enrichment_eqc_requests_total", result="5xx") == 1
    assert value(after, "company_enrichment_eqc_request_seconds_count") == 13
    assert value(after, "company_enrichment_eqc_request_seconds_sum") >= 12 * 0.15
    assert value(after, "company_enrichment_settle_latency_seconds_count") >= 1
    assert value(after, "company_enrichment_eqc_rate_limit_wait_seconds_total") >= 0
    with psycopg.connect(rig.db_uri) as conn:
        row = conn.execute(
            "SELECT pending, due, processing, failed, review FROM enterprise.lookup_queue_stats"
        ).fetchone()
    assert row is not None
    for name, expected in zip(("pending", "due", "processing", "failed", "review"), row, strict=True):
        assert value(after, f"company_enrichment_queue_{name}") == expected, name
    assert value(after, "company_enrichment_queue_oldest_pending_age_seconds") > 0

    text = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=5).text
    assert rig.tag not in text and "公司" not in text, "no label carries a customer name"
    assert rig.standin.token not in text

    worker.process.send_signal(signal.SIGTERM)
    assert worker.wait(10) == 0, worker.output()
    print(f"\nmetrics after the run: {states}, claims 13, eqc ok 12, 5xx 1")


def test_readyz_follows_the_database(upgrade_db: tuple[str, str], db_uri: str) -> None:
    uri, _ = upgrade_db
    name = psycopg.conninfo.conninfo_to_dict(uri)["dbname"]
    with EnrichmentDB.connect(uri, max_size=2) as db, MetricsServer(WorkerMetrics(db, db_timeout=1.0)) as server:
        base = f"http://127.0.0.1:{server.port}"

        def readyz() -> int:
            return httpx.get(f"{base}/readyz", timeout=10).status_code

        assert readyz() == 200
        assert httpx.get(f"{base}/healthz", timeout=5).status_code == 200
        with psycopg.connect(db_uri, autocommit=True) as admin:
            admin.execute(f"ALTER DATABASE {name} ALLOW_CONNECTIONS false")
            admin.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", (name,))
            try:
                wait_until(lambda: readyz() == 503, 20, "/readyz 503 while the database refuses connections")
                assert httpx.get(f"{base}/healthz", timeout=5).status_code == 200, "alive all the same"
            finally:
                admin.execute(f"ALTER DATABASE {name} ALLOW_CONNECTIONS true")
        wait_until(lambda: readyz() == 200, 30, "/readyz 200 once the database answers again")


def test_readyz_turns_503_after_eqc_refuses_the_token(db_uri: str) -> None:
    with (
        EQCStandin({"token": "the-right-token", "companies": []}).start() as standin,
        EnrichmentDB.connect(db_uri, max_size=2) as db,
    ):
        metrics = WorkerMetrics(db)
        with MetricsServer(metrics) as server, EQCClient(standin.url, "a-wrong-token", observer=metrics) as eqc:
            base = f"http://127.0.0.1:{server.port}"
            assert httpx.get(f"{base}/readyz", timeout=5).status_code == 200
            with pytest.raises(EQCAuthenticationError):
                eqc.search_company("某公司")
            response = httpx.get(f"{base}/readyz", timeout=5)
            assert response.status_code == 503 and "refused the token" in response.text
            assert httpx.get(f"{base}/healthz", timeout=5).status_code == 200
            samples = scrape(server.port)
            assert value(samples, "company_enrichment_eqc_requests_total", result="401") == 1
