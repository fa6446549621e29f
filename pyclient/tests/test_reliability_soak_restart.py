"""Soak (issue 6, `make test-soak`, not `make test`): PostgreSQL restarted with `pg_ctl restart -m fast` while
four worker threads (`company-enrichment work --concurrency 4`, a real process) drain 600 requests, under the
production queue policy (5-minute leases), with one worker blocked inside a statement (on a row lock the test
holds) when the server goes down. The workers must reconnect and finish: every request done exactly once, one
learned mapping per found name, no name searched in EQC more than twice, within two minutes.

It restarts the whole cluster the test database lives on, so it needs to be allowed to: the local cluster of
`scripts/localdb.sh` (as root it runs pg_ctl as the data directory's owner), or a cluster this user owns.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from company_enrichment.standin import EQCStandin, Fault

KNOWN = 400
UNKNOWN = 200


def wait_until(predicate: Callable[[], bool], timeout: float, what: Callable[[], str]) -> float:
    started = time.monotonic()
    while not predicate():
        if time.monotonic() - started > timeout:
            raise AssertionError(f"timed out after {timeout} s waiting for {what()}")
        time.sleep(0.1)
    return time.monotonic() - started


def query(db_uri: str, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    with psycopg.connect(db_uri, autocommit=True, connect_timeout=5) as conn:
        return conn.execute(sql, params).fetchall()


def states(db_uri: str) -> Counter[str]:
    try:
        rows = query(
            db_uri,
            "SELECT status || coalesce('/' || outcome, ''), count(*) FROM enterprise.lookup_requests GROUP BY 1",
        )
    except psycopg.OperationalError:
        return Counter()  # the server is restarting
    return Counter({str(k): int(v) for k, v in rows})


def restart_command(db_uri: str) -> list[str]:
    """pg_ctl restart -m fast -w for the cluster behind db_uri, as the data directory's owner."""
    (data_directory,), (version,) = (
        query(db_uri, "SELECT current_setting('data_directory')")[0],
        query(db_uri, "SELECT current_setting('server_version_num')::int / 10000")[0],
    )
    data = Path(str(data_directory))
    pg_ctl = Path(f"/usr/lib/postgresql/{version}/bin/pg_ctl")
    if not pg_ctl.exists():
        found = shutil.which("pg_ctl")
        if found is None:
            pytest.fail(f"no pg_ctl for PostgreSQL {version}: cannot restart the server")
        pg_ctl = Path(found)
    if not data.is_dir():
        pytest.fail(f"the data directory {data} is not on this machine: this test restarts a local cluster only")
    owner = pwd.getpwuid(data.stat().st_uid).pw_name
    # The server keeps pg_ctl's log file after the restart: keep logging where scripts/localdb.sh does.
    log = data.parent / "log" / "postgres.log"
    if not log.exists():
        log = Path(f"/tmp/ce-restart-{version}.log")
        log.touch()
        os.chmod(log, 0o666)
    command = [str(pg_ctl), "-D", str(data), "-l", str(log), "restart", "-m", "fast", "-w", "-t", "60"]
    if os.geteuid() == data.stat().st_uid:
        return command
    if os.geteuid() == 0:
        return ["runuser", "-u", owner, "--", *command]
    pytest.fail(f"the data directory belongs to {owner}: run this test as {owner} or as root")


@pytest.fixture
def standin(tag: str) -> Iterator[EQCStandin]:
    companies = [
        {"companyId": f"7{40000000 + i}", "companyFullName": f"{tag}重启{i}有限公司", "unite_code": None}
        for i in range(KNOWN)
    ]
    with EQCStandin({"token": "restart-token", "companies": companies}).start() as server:
        yield server


def test_postgres_restart_while_four_workers_run(
    db_uri: str, empty_queue: None, tag: str, standin: EQCStandin, tmp_path: Path
) -> None:
    restart = restart_command(db_uri)
    lease = query(db_uri, "SELECT default_lease FROM enterprise.queue_settings")[0][0]
    assert lease.total_seconds() >= 300, "the production lease: a stranded request would wait that long"
    names = [f"{tag}重启{i}有限公司" for i in range(KNOWN)] + [f"{tag}重启未知{i}号" for i in range(UNKNOWN)]
    query(db_uri, "SELECT count(enterprise.enqueue_lookup(n)) FROM unnest(%s::text[]) n", (names,))
    standin.inject(Fault(kind="slow", delay=0.02, times=None))

    env = {k: v for k, v in os.environ.items() if not k.startswith("WDH_")}
    env.update(
        WDH_DATABASE__URI=db_uri,
        WDH_EQC_BASE_URL=standin.url,
        WDH_EQC_TOKEN=standin.token,
        WDH_EQC_RATE_LIMIT="60000",
        WDH_EQC_RETRY_MAX="0",
        WDH_LOG_LEVEL="WARNING",
    )
    script = Path(sys.executable).with_name("company-enrichment")
    command = (
        [str(script)] if script.exists() else [sys.executable, "-c", "from company_enrichment.cli import main; main()"]
    )
    out, err = tmp_path / "worker.out", tmp_path / "worker.err"
    with out.open("wb") as stdout, err.open("wb") as stderr:
        worker = subprocess.Popen(
            [*command, "work", "--concurrency", "4", "--batch-size", "10", "--poll-interval", "0.5"],
            env=env,
            cwd=tmp_path,
            stdout=stdout,
            stderr=stderr,
        )

    def output() -> str:
        return out.read_text(errors="replace") + err.read_text(errors="replace")

    def done() -> int:
        now = states(db_uri)
        return now["done/found"] + now["done/not_found"]

    try:
        wait_until(lambda: done() >= 150, 60, lambda: f"150 requests done before the restart ({states(db_uri)})")
        before = done()
        # The hard case: a worker inside a statement when the server goes down. Hold a row lock on a request
        # a worker holds, so that worker blocks settling it, and restart while it waits.
        locker = psycopg.connect(db_uri)
        try:
            held = locker.execute(
                "SELECT id FROM enterprise.lookup_requests WHERE status = 'processing' ORDER BY id DESC LIMIT 1"
                " FOR UPDATE"
            ).fetchall()
            assert held, f"a request is held by a worker: {states(db_uri)}"
            (locker_pid,) = locker.execute("SELECT pg_backend_pid()").fetchall()[0]
            wait_until(
                lambda: bool(
                    query(
                        db_uri,
                        "SELECT 1 FROM pg_stat_activity WHERE datname = current_database()"
                        " AND application_name = 'company-enrichment' AND %s = ANY (pg_blocking_pids(pid))",
                        (locker_pid,),
                    )
                ),
                30,
                lambda: "a worker blocked by the test's row lock, settling the locked request",
            )
            started = time.monotonic()
            restarted = subprocess.run(restart, capture_output=True, timeout=120, check=False)
            took = time.monotonic() - started
        finally:
            with contextlib.suppress(psycopg.Error):
                locker.close()  # the restart ended its session
        assert restarted.returncode == 0, restarted.stderr.decode(errors="replace")
        assert worker.poll() is None, f"the worker survived the restart:\n{output()}"
        drained = wait_until(
            lambda: done() == KNOWN + UNKNOWN,
            120,
            lambda: (
                f"all {KNOWN + UNKNOWN} done after the restart (now {states(db_uri)}; worker log tail "
                f"{output()[-800:]!r})"
            ),
        )
        print(f"\nrestart: {before} done before, restart took {took:.1f} s, drained {drained:.1f} s after it")
        worker.send_signal(signal.SIGTERM)
        assert worker.wait(timeout=30) == 0, output()
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.wait()

    assert states(db_uri) == Counter({"done/found": KNOWN, "done/not_found": UNKNOWN}), "nothing lost"
    per_name = query(
        db_uri, "SELECT count(*), count(DISTINCT normalized_name), max(attempts) FROM enterprise.lookup_requests"
    )[0]
    assert per_name[:2] == (KNOWN + UNKNOWN, KNOWN + UNKNOWN), "each request done exactly once, one per name"
    learned = query(
        db_uri,
        "SELECT count(*), count(DISTINCT lookup_key) FROM enterprise.company_mapping"
        " WHERE source = 'EQC' AND alias_name LIKE %s",
        (f"{tag}%",),
    )[0]
    assert learned == (KNOWN, KNOWN), "one learned mapping per found name"
    searches = Counter(r.key for r in standin.request_log)
    assert len(searches) == KNOWN + UNKNOWN and max(searches.values()) <= 2, searches.most_common(3)
