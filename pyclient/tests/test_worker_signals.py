"""Prompt shutdown (issue 11, defect 1): a `company-enrichment work` process stops on SIGTERM or SIGINT within
1 s when idle, and within its EQC timeout when busy, with exit status 0 and its summary printed. Real processes,
real PostgreSQL, the EQC stand-in. The bounds are upper bounds with margin, not benchmarks."""

from __future__ import annotations

import signal
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from company_enrichment.standin import Fault
from test_reliability_worker import Rig, Worker, make_rig, wait_until


@pytest.fixture
def rig(db_uri: str, empty_queue: None, tag: str, tmp_path: Path) -> Iterator[Rig]:
    with make_rig(db_uri, tag, tmp_path) as rig:
        yield rig


def _listening(rig: Rig, worker: Worker) -> bool:
    """The worker is up and idle: its listener connection has run LISTEN."""
    assert worker.process.poll() is None, worker.output()
    rows = rig.query(
        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND query ILIKE 'LISTEN%%'"
    )
    return int(rows[0][0]) > 0


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_an_idle_worker_exits_0_within_1_s_of_a_signal(rig: Rig, signum: signal.Signals) -> None:
    # The default poll interval (30 s): an idle thread must not sleep it out.
    worker = rig.start_worker("--concurrency", "2")
    wait_until(lambda: _listening(rig, worker), 30, "the worker's LISTEN")
    time.sleep(0.5)  # every thread has found the queue empty and gone to sleep
    sent = time.monotonic()
    worker.process.send_signal(signum)
    code = worker.wait(10)
    elapsed = time.monotonic() - sent
    print(f"\nidle worker, {signum.name}: exit {code} after {elapsed:.3f} s")
    assert code == 0, worker.output()
    assert "claimed 0, found 0" in worker.output()
    assert elapsed < 1.0, f"{elapsed:.3f} s"


def test_a_busy_worker_finishes_the_request_in_hand_releases_the_rest_within_its_eqc_timeout(rig: Rig) -> None:
    names = [rig.known(i) for i in range(6)]
    rig.enqueue(names)
    rig.standin.inject(Fault(kind="slow", delay=1.5, times=None))
    worker = rig.start_worker("--batch-size", "6", env=rig.env(WDH_EQC_TIMEOUT="3"))
    wait_until(lambda: len(rig.standin.request_log) >= 1, 30, "the first EQC search")
    sent = time.monotonic()
    worker.process.send_signal(signal.SIGTERM)
    code = worker.wait(10)
    elapsed = time.monotonic() - sent
    print(f"\nbusy worker, SIGTERM: exit {code} after {elapsed:.3f} s (EQC timeout 3 s, answers take 1.5 s)")
    assert code == 0, worker.output()
    assert elapsed < 3.0 + 1.0, f"{elapsed:.3f} s"
    states = rig.states()
    assert states["done/found"] >= 1, f"the request in hand was finished: {states!r}"
    assert states == Counter({"done/found": states["done/found"], "pending": 6 - states["done/found"]}), states
    assert f"released {6 - states['done/found']}" in worker.output()
