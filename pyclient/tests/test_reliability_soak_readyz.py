"""Soak (issue 11, `make test-soak`, not `make test`): `/readyz` of a worker's metrics port answers 503 while
PostgreSQL is really stopped (`pg_ctl stop -m fast`) and 200 again once it is back, with `/healthz` 200 all along.
It stops the whole cluster the test database lives on, so it runs only in the soak suite (see
test_reliability_soak_restart.py for what that needs)."""

from __future__ import annotations

import subprocess
import time
from collections.abc import Callable

import httpx
from company_enrichment.db import EnrichmentDB
from company_enrichment.metrics import MetricsServer, WorkerMetrics
from test_reliability_soak_restart import restart_command


def wait_for(predicate: Callable[[], bool], timeout: float, what: str) -> float:
    started = time.monotonic()
    while not predicate():
        if time.monotonic() - started > timeout:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(0.1)
    return time.monotonic() - started


def test_readyz_is_503_while_postgres_is_stopped_and_200_when_it_returns(db_uri: str) -> None:
    restart = restart_command(db_uri)
    at = restart.index("restart")
    stop = [*restart[:at], "stop", "-m", "fast", "-w", "-t", "60"]
    start = [*restart[:at], "start", "-w", "-t", "60"]
    with EnrichmentDB.connect(db_uri, max_size=2) as db, MetricsServer(WorkerMetrics(db, db_timeout=1.0)) as server:
        base = f"http://127.0.0.1:{server.port}"

        def status(path: str) -> int:
            return httpx.get(f"{base}{path}", timeout=10).status_code

        assert status("/readyz") == 200
        subprocess.run(stop, check=True, capture_output=True)
        try:
            down = wait_for(lambda: status("/readyz") == 503, 20, "/readyz 503 with PostgreSQL stopped")
            assert status("/healthz") == 200, "the process is alive all the same"
        finally:
            subprocess.run(start, check=True, capture_output=True)
        up = wait_for(lambda: status("/readyz") == 200, 60, "/readyz 200 with PostgreSQL back")
        print(f"\n/readyz: 503 {down:.2f} s after the stop, 200 {up:.2f} s after the start")
