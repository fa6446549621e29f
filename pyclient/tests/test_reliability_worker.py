"""The queue worker as a real process under faults (issue 6): SIGKILL mid-batch, SIGTERM, an expired EQC token
mid-run, and its database connection dropped mid-batch.

Each test runs ``company-enrichment work`` as a subprocess against the real database, with the EQC stand-in
served from this process on loopback, and asserts counts: requests by state, attempts, EQC searches per name
(the stand-in's request log) and mapping rows.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
import pytest
from company_enrichment.standin import EQCStandin, Fault

TOKEN = "worker-test-token"


def worker_command() -> list[str]:
    """The installed console script next to this interpreter, else the same entry point through -c."""
    script = Path(sys.executable).with_name("company-enrichment")
    if script.exists():
        return [str(script)]
    return [sys.executable, "-c", "from company_enrichment.cli import main; main()"]


def worker_env(db_uri: str, standin: EQCStandin, **extra: str) -> dict[str, str]:
    """The environment of a worker process: this one without its WDH_ settings, then the database, the stand-in as
    EQC (no retries, a rate limit that never binds), then ``extra``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("WDH_")}
    env.update(
        {
            "WDH_DATABASE__URI": db_uri,
            "WDH_EQC_BASE_URL": standin.url,
            "WDH_EQC_TOKEN": standin.token,
            "WDH_EQC_RATE_LIMIT": "60000",
            "WDH_EQC_RETRY_MAX": "0",
        }
    )
    env.update(extra)
    return env


def wait_until(predicate: Callable[[], bool], timeout: float, what: str, interval: float = 0.05) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(interval)


@dataclass
class Worker:
    """One `company-enrichment work` process, its output in files (a pipe could fill up and block it)."""

    process: subprocess.Popen[bytes]
    stdout: Path
    stderr: Path

    def output(self) -> str:
        return self.stdout.read_text(encoding="utf-8", errors="replace") + self.stderr.read_text(
            encoding="utf-8", errors="replace"
        )

    def wait(self, timeout: float) -> int:
        try:
            return self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
            raise AssertionError(f"the worker did not exit within {timeout} s:\n{self.output()}") from None

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()


def spawn_worker(tmp_path: Path, stem: str, args: Sequence[str], env: dict[str, str]) -> Worker:
    """``company-enrichment *args`` as a process in ``tmp_path`` (no stray .env file is read), its output in
    ``stem``.out and ``stem``.err there."""
    out, err = tmp_path / f"{stem}.out", tmp_path / f"{stem}.err"
    with out.open("wb") as stdout, err.open("wb") as stderr:
        process = subprocess.Popen([*worker_command(), *args], env=env, cwd=tmp_path, stdout=stdout, stderr=stderr)
    return Worker(process, out, err)


@dataclass
class Rig:
    db_uri: str
    standin: EQCStandin
    tag: str
    tmp_path: Path
    workers: list[Worker]

    def known(self, i: int) -> str:
        return f"{self.tag}可靠{i}科技有限公司"

    def unknown(self, i: int) -> str:
        return f"{self.tag}查无此{i}公司"

    def env(self, **extra: str) -> dict[str, str]:
        return worker_env(self.db_uri, self.standin, **{"WDH_LOG_LEVEL": "INFO", **extra})

    def start_worker(self, *args: str, env: dict[str, str] | None = None, prefix: list[str] | None = None) -> Worker:
        worker = spawn_worker(
            self.tmp_path, f"worker{len(self.workers)}", [*(prefix or []), "work", *args], env or self.env()
        )
        self.workers.append(worker)
        return worker

    def enqueue(self, names: list[str]) -> list[int]:
        with psycopg.connect(self.db_uri, autocommit=True) as conn:
            rows = conn.execute(
                "SELECT (enterprise.enqueue_lookup(name => n)).id FROM unnest(%s::text[]) WITH ORDINALITY AS u(n, i)"
                " ORDER BY i",
                (names,),
            ).fetchall()
        return [int(str(r[0])) for r in rows]

    def query(self, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        with psycopg.connect(self.db_uri, autocommit=True) as conn:
            return conn.execute(sql, params).fetchall()

    def states(self) -> Counter[str]:
        rows = self.query(
            "SELECT status || coalesce('/' || outcome, ''), count(*) FROM enterprise.lookup_requests GROUP BY 1"
        )
        return Counter({str(k): int(v) for k, v in rows})

    def mapping_rows(self) -> int:
        rows = self.query(
            "SELECT count(*) FROM enterprise.company_mapping WHERE source = 'EQC' AND alias_name LIKE %s",
            (f"{self.tag}%",),
        )
        return int(rows[0][0])

    def keys(self, names: list[str]) -> list[str]:
        rows = self.query("SELECT enterprise.normalize_name(n) FROM unnest(%s::text[]) n", (names,))
        return [str(r[0]) for r in rows]

    def searches(self) -> Counter[str]:
        return Counter(r.key for r in self.standin.request_log if r.key is not None)


@pytest.fixture
def rig(db_uri: str, empty_queue: None, tag: str, tmp_path: Path) -> Iterator[Rig]:
    with make_rig(db_uri, tag, tmp_path) as rig:
        yield rig


@contextmanager
def make_rig(db_uri: str, tag: str, tmp_path: Path) -> Iterator[Rig]:
    """The stand-in with 40 known companies, and worker processes that are killed at the end if still running."""
    companies = [
        {"companyId": f"7{10000000 + i}", "companyFullName": f"{tag}可靠{i}科技有限公司", "unite_code": None}
        for i in range(40)
    ]
    with EQCStandin({"token": TOKEN, "companies": companies}).start() as standin:
        rig = Rig(db_uri=db_uri, standin=standin, tag=tag, tmp_path=tmp_path, workers=[])
        try:
            yield rig
        finally:
            for worker in rig.workers:
                worker.stop()


def test_sigkill_mid_batch_loses_nothing_and_looks_no_name_up_more_than_twice(rig: Rig, short_lease: None) -> None:
    names = [rig.known(i) for i in range(20)] + [rig.unknown(i) for i in range(10)]
    ids = rig.enqueue(names)
    assert len(set(ids)) == 30
    rig.standin.inject(Fault(kind="slow", delay=0.3, times=None))

    doomed = rig.start_worker("--batch-size", "10", "--poll-interval", "0.5")
    wait_until(lambda: len(rig.standin.request_log) >= 3, 30, "the first worker's third EQC search")
    doomed.process.send_signal(signal.SIGKILL)
    assert doomed.wait(10) == -signal.SIGKILL
    time.sleep(0.3)  # let the server notice the dropped connection
    at_kill = rig.states()
    stranded = rig.query("SELECT DISTINCT lease_owner FROM enterprise.lookup_requests WHERE status = 'processing'")
    done_by_doomed = at_kill["done/found"]
    # Searched but not settled when it died: the search in flight, and answers the worker had not yet written
    # (it settles answers together, at most settle_interval after the first). These are looked up again.
    unsettled = sum(rig.searches().values()) - done_by_doomed
    assert at_kill["processing"] >= 5, f"the kill landed mid-batch: {at_kill!r}"
    assert at_kill["processing"] + done_by_doomed == 10, "the dead worker had claimed one batch of 10"
    assert len(stranded) == 1, "all held by the dead worker"
    assert 1 <= unsettled <= at_kill["processing"], unsettled

    rig.standin.clear_faults()
    heir = rig.start_worker("--batch-size", "10", "--poll-interval", "0.5")
    wait_until(lambda: rig.states()["done/found"] + rig.states()["done/not_found"] == 30, 60, "all 30 requests done")
    heir.process.send_signal(signal.SIGTERM)
    assert heir.wait(20) == 0, heir.output()

    assert rig.states() == Counter({"done/found": 20, "done/not_found": 10}), "total done = total queued"
    searches = rig.searches()
    assert set(searches) == set(rig.keys(names)), "every name was looked up, by its normalized name"
    assert max(searches.values()) <= 2, searches
    assert sum(1 for n in searches.values() if n == 2) == unsettled, "only what the dead worker had not settled"
    assert sum(searches.values()) == 30 + unsettled
    attempts = Counter(int(r[0]) for r in rig.query("SELECT attempts FROM enterprise.lookup_requests"))
    assert attempts == Counter({1: 30 - at_kill["processing"], 2: at_kill["processing"]}), attempts
    assert rig.mapping_rows() == 20, "one learned mapping per found name, none twice"
    print(
        f"\nSIGKILL: {at_kill['processing']} held and {done_by_doomed} done at the kill, {unsettled} searched but"
        f" unsettled; after: {dict(rig.states())}, {sum(searches.values())} searches for 30 names, attempts"
        f" {dict(attempts)}, {rig.mapping_rows()} mappings"
    )


def test_sigterm_finishes_the_request_in_hand_releases_the_rest_and_exits_0(rig: Rig) -> None:
    names = [rig.known(i) for i in range(10)]
    rig.enqueue(names)
    rig.standin.inject(Fault(kind="slow", delay=0.5, times=None))
    worker = rig.start_worker("--batch-size", "10", "--poll-interval", "0.5")
    wait_until(lambda: len(rig.standin.request_log) >= 2, 30, "the second EQC search (one done, one in hand)")
    worker.process.send_signal(signal.SIGTERM)
    assert worker.wait(20) == 0, worker.output()

    done = sum(rig.searches().values())
    assert done >= 2
    assert rig.states() == Counter({"done/found": done, "pending": 10 - done}), "the request in hand was finished"
    rows = rig.query(
        "SELECT attempts, lease_owner, lease_expires_at, last_error FROM enterprise.lookup_requests"
        " WHERE status = 'pending'"
    )
    assert rows == [(0, None, None, None)] * (10 - done), "released without spending an attempt"
    summary = f"claimed 10, found {done}, not_found 0, retried 0, failed 0, released {10 - done}, lost 0"
    assert summary in worker.output()
    assert rig.mapping_rows() == done
    print(f"\nSIGTERM: exit 0, {done} done (the one in hand included), {10 - done} released with attempts 0")


def test_expired_token_mid_run_releases_the_batch_exits_3_and_burns_no_attempt(rig: Rig) -> None:
    names = [rig.known(i) for i in range(10)]
    rig.enqueue(names)
    rig.standin.inject(Fault(kind="expired", name=rig.keys(names)[3], times=None))
    worker = rig.start_worker("--once", "--batch-size", "10")
    assert worker.wait(30) == 3, worker.output()
    assert "EQC refused the token" in worker.output()
    assert "claimed 10, found 3, not_found 0, retried 0, failed 0, released 7, lost 0" in worker.output()
    assert rig.states() == Counter({"done/found": 3, "pending": 7})
    rows = rig.query(
        "SELECT attempts, lease_owner, last_error FROM enterprise.lookup_requests WHERE status = 'pending'"
    )
    assert rows == [(0, None, None)] * 7, "nothing burned an attempt"
    assert sum(rig.searches().values()) == 4, "no search after the refusal"
    assert rig.mapping_rows() == 3
    print(f"\nexpired token: exit 3, {dict(rig.states())}, 4 searches, 0 attempts spent by the 7 released")


def test_a_dropped_database_connection_mid_batch_costs_a_pause_not_the_batch(rig: Rig) -> None:
    """The worker's connection is terminated while it settles request 3 of 10 (held on a row lock so the drop
    lands mid-statement). With the production lease (5 minutes), the worker must reconnect and finish all 10
    promptly: a lost connection may not strand the rest of its batch in 'processing' until the lease expires."""
    names = [rig.known(i) for i in range(10)]
    ids = rig.enqueue(names)
    rig.standin.inject(Fault(kind="slow", delay=0.2, times=None))
    with psycopg.connect(rig.db_uri) as locker:
        worker = rig.start_worker("--batch-size", "10", "--poll-interval", "0.5")
        wait_until(lambda: rig.states()["processing"] == 10, 30, "the worker to claim all 10")
        locker.execute("SELECT 1 FROM enterprise.lookup_requests WHERE id = %s FOR UPDATE", (ids[2],))
        (locker_pid,) = locker.execute("SELECT pg_backend_pid()").fetchall()[0]

        def blocked_backend() -> list[tuple[Any, ...]]:
            return rig.query(
                "SELECT pid FROM pg_stat_activity WHERE datname = current_database()"
                " AND application_name = 'company-enrichment' AND %s = ANY (pg_blocking_pids(pid))",
                (locker_pid,),
            )

        wait_until(lambda: bool(blocked_backend()), 30, "the worker to block settling request 3")
        (pid,) = blocked_backend()[0]
        assert rig.query("SELECT pg_terminate_backend(%s)", (pid,)) == [(True,)]
        locker.rollback()

    wait_until(
        lambda: rig.states()["done/found"] == 10,
        30,
        f"all 10 done after the dropped connection (states now {rig.states()!r}; worker log tail: "
        f"{worker.output()[-600:]!r})",
    )
    worker.process.send_signal(signal.SIGTERM)
    assert worker.wait(20) == 0, worker.output()
    searches = rig.searches()
    assert set(searches) == set(rig.keys(names))
    assert max(searches.values()) <= 2, "only the request being settled at the drop may be searched again"
    assert rig.mapping_rows() == 10
