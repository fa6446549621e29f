"""The client and the worker through a real PgBouncer in transaction mode (issue 14).

The test starts PgBouncer (installed by scripts/bootstrap.sh) on a free loopback port, in front of the test
database, with ``pool_mode = transaction`` and fewer server connections than the client's pool, handed out round
robin: consecutive transactions of one client land on different sessions, which is what breaks session state.
As root it runs PgBouncer as the database server's OS user (PgBouncer refuses root), like scripts/localdb.sh.

* With WDH_DATABASE__TRANSACTION_POOLING the client resolves, loads mappings (the history names WDH_CHANGED_BY)
  and repeats statements past psycopg's prepare threshold through it; a worker whose pool goes through it and
  whose LISTEN goes straight to PostgreSQL (WDH_DATABASE__LISTEN_URI) wakes on NOTIFY and drains the queue.
* Without the setting, the same repeated statement fails (a prepared statement of another session): the reason
  the setting exists.
"""

from __future__ import annotations

import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
import pytest
from company_enrichment.db import EnrichmentDB
from company_enrichment.errors import DatabaseError
from company_enrichment.models import CompanyRecord, MappingRow
from company_enrichment.standin import EQCStandin
from psycopg.conninfo import conninfo_to_dict
from test_reliability_worker import spawn_worker, wait_until, worker_env

TOKEN = "pgbouncer-token"


def pgbouncer_binary() -> str:
    found = shutil.which("pgbouncer") or ("/usr/sbin/pgbouncer" if Path("/usr/sbin/pgbouncer").exists() else None)
    if found is None:
        pytest.fail("pgbouncer is not installed: run scripts/bootstrap.sh (make test does)")
    return found


def pgbouncer_version(binary: str) -> tuple[int, int]:
    """(major, minor) from ``pgbouncer --version`` ("PgBouncer 1.18.0")."""
    out = subprocess.run([binary, "--version"], capture_output=True, text=True, check=True).stdout
    major, minor = out.split()[1].split(".")[:2]
    return int(major), int(minor)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Bouncer:
    uri: str
    log: Path

    def log_text(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace") if self.log.exists() else ""


@pytest.fixture
def pgbouncer(db_uri: str) -> Iterator[Bouncer]:
    info = conninfo_to_dict(db_uri)
    with psycopg.connect(db_uri, autocommit=True) as conn:
        row = conn.execute("SELECT current_setting('port'), current_database(), current_user").fetchone()
    assert row is not None
    server_port, dbname, user = row
    host = str(info.get("host") or "127.0.0.1")
    port = free_port()
    run_as: pwd.struct_passwd | None = None
    if os.geteuid() == 0:
        run_as = pwd.getpwnam(os.environ.get("LOCALDB_OS_USER", "postgres"))
    workdir = Path(tempfile.mkdtemp(prefix="pgbouncer-test-"))
    workdir.chmod(0o755)
    if run_as is not None:
        os.chown(workdir, run_as.pw_uid, run_as.pw_gid)
    config = workdir / "pgbouncer.ini"
    log = workdir / "pgbouncer.log"
    binary = pgbouncer_binary()
    # From 1.21 PgBouncer can track protocol-level prepared statements; off here, as in the releases before it and
    # in the Debian 12 package, so that what the setting guards against is what the test meets.
    extra = "max_prepared_statements = 0\n" if pgbouncer_version(binary) >= (1, 21) else ""
    config.write_text(
        f"""[databases]
{dbname} = host={host} port={server_port} dbname={dbname} user={user}

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = {port}
unix_socket_dir =
auth_type = any
pool_mode = transaction
default_pool_size = 2
min_pool_size = 2
server_round_robin = 1
max_client_conn = 50
logfile = {log}
pidfile = {workdir / "pgbouncer.pid"}
ignore_startup_parameters = extra_float_digits
{extra}""",
        encoding="utf-8",
    )
    command = [binary, str(config)]
    if run_as is not None:
        command = ["setpriv", f"--reuid={run_as.pw_uid}", f"--regid={run_as.pw_gid}", "--clear-groups", *command]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    bouncer = Bouncer(uri=f"postgresql://{user}@127.0.0.1:{port}/{dbname}", log=log)
    try:

        def answers() -> bool:
            if process.poll() is not None:
                raise AssertionError(f"pgbouncer exited: {process.stderr.read() if process.stderr else ''!r}")
            try:
                with psycopg.connect(bouncer.uri, connect_timeout=2, prepare_threshold=None) as conn:
                    conn.execute("SELECT 1")
                return True
            except psycopg.OperationalError:
                return False

        wait_until(answers, 20, "pgbouncer to answer", interval=0.1)
        # Two server sessions from the start: one transaction held open while another client asks.
        with psycopg.connect(bouncer.uri, prepare_threshold=None) as holder:
            holder.execute("SELECT 1")  # a transaction (not autocommit): holds a server session
            with psycopg.connect(bouncer.uri, autocommit=True, prepare_threshold=None) as other:
                other.execute("SELECT 1")
        yield bouncer
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        shutil.rmtree(workdir, ignore_errors=True)


def query(db_uri: str, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    with psycopg.connect(db_uri, autocommit=True) as conn:
        return conn.execute(sql, params).fetchall()


def test_the_client_through_pgbouncer_in_transaction_mode(db_uri: str, pgbouncer: Bouncer, tag: str) -> None:
    who = f"{tag}-person"
    records = [CompanyRecord(customer_name=f"{tag}中间件{i}公司") for i in range(20)]
    with EnrichmentDB.connect(pgbouncer.uri, max_size=4, changed_by=who, transaction_pooling=True) as db:
        first = db.preview_company_ids(records)
        for _ in range(10):  # past psycopg's prepare threshold (5), over both server sessions
            assert db.preview_company_ids(records) == first
        loaded = db.upsert_internal_mappings(
            [MappingRow(alias_name=f"{tag}中间件0公司", canonical_id="700000077", match_type="name")]
        )
        resolved = db.resolve_company_ids(records[:1])
    assert loaded.inserted == 1
    assert resolved[0].company_id == "700000077"
    history = query(
        db_uri,
        "SELECT changed_by FROM enterprise.company_mapping_history WHERE alias_name = %s",
        (f"{tag}中间件0公司",),
    )
    assert history == [(who,)], "changed_by reached the history through the pooler"


def test_without_transaction_pooling_a_prepared_statement_meets_another_session(
    db_uri: str, pgbouncer: Bouncer
) -> None:
    """Why the setting exists: psycopg prepares a statement on its 5th execution, on whichever server session
    PgBouncer lent it; the next execution names that statement on another session."""
    with EnrichmentDB.connect(pgbouncer.uri, max_size=1) as db, pytest.raises(DatabaseError) as caught:
        for _ in range(10):
            db.schema_version()
    assert "prepared statement" in caught.value.message and "does not exist" in caught.value.message, caught.value


@pytest.fixture
def standin(tag: str) -> Iterator[EQCStandin]:
    companies = [
        {"companyId": f"79{1000000 + i}", "companyFullName": f"{tag}池化{i}科技有限公司", "unite_code": None}
        for i in range(10)
    ]
    with EQCStandin({"token": TOKEN, "companies": companies}).start() as server:
        yield server


def test_a_worker_pooled_through_pgbouncer_listening_directly(
    db_uri: str, empty_queue: None, pgbouncer: Bouncer, standin: EQCStandin, tag: str, tmp_path: Path
) -> None:
    env = worker_env(pgbouncer.uri, standin, WDH_DATABASE__TRANSACTION_POOLING="true", WDH_DATABASE__LISTEN_URI=db_uri)
    worker = spawn_worker(
        tmp_path, "worker", ["work", "--concurrency", "2", "--batch-size", "5", "--poll-interval", "60"], env
    )
    try:
        listening = (
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
            " AND query = 'LISTEN enterprise_lookup' AND application_name = 'company-enrichment'"
        )
        wait_until(lambda: query(db_uri, listening) == [(1,)], 30, f"the worker's LISTEN\n{worker.output()}")
        time.sleep(0.5)  # past the wake-up of the listener's first connection
        names = [f"{tag}池化{i}科技有限公司" for i in range(10)] + [f"{tag}池外{i}商号" for i in range(10)]
        started = time.monotonic()
        query(db_uri, "SELECT count(enterprise.enqueue_lookup(name => n)) FROM unnest(%s::text[]) AS n", (names,))
        states = "SELECT status, outcome, count(*) FROM enterprise.lookup_requests GROUP BY 1, 2 ORDER BY 1, 2"
        wait_until(
            lambda: query(db_uri, states) == [("done", "found", 10), ("done", "not_found", 10)],
            15,
            f"20 requests settled through pgbouncer\n{worker.output()}",
        )
        drained_in = time.monotonic() - started
    finally:
        worker.process.send_signal(signal.SIGTERM)
    assert worker.wait(20) == 0, worker.output()
    assert "error" not in worker.output().lower(), worker.output()
    assert sum(1 for r in standin.request_log) == 20, "each name searched once"
    print(f"\nthrough pgbouncer (transaction mode): 20 requests drained in {drained_in:.2f} s after the NOTIFY")
