"""WDH_DATABASE__LISTEN_URI and WDH_DATABASE__TRANSACTION_POOLING (issue 14): the worker's LISTEN connection may go
somewhere else than its pool (directly to PostgreSQL while the pool goes through PgBouncer), and a pool behind a
pooler in transaction mode keeps no session state: no server-side prepared statements, ``enrichment.changed_by`` set
in each transaction.

The worker tests run ``company-enrichment work`` as a process. The test database is reached over its Unix socket
(as ``make test`` does); the LISTEN URI goes to the same database over TCP on 127.0.0.1, so pg_stat_activity tells
the two connections apart by ``client_addr``.
"""

from __future__ import annotations

import signal
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from company_enrichment.db import EnrichmentDB
from company_enrichment.errors import ConfigurationError
from company_enrichment.models import MappingRow
from company_enrichment.settings import Settings, load_settings
from company_enrichment.standin import EQCStandin
from psycopg_pool import ConnectionPool
from test_reliability_worker import Worker, spawn_worker, wait_until, worker_env

TOKEN = "listen-uri-token"


def tcp_uri(db_uri: str) -> str:
    """The same database as ``db_uri``, over TCP on 127.0.0.1 (the project-local cluster listens there too)."""
    with psycopg.connect(db_uri, autocommit=True) as conn:
        row = conn.execute("SELECT current_setting('port'), current_database(), current_user").fetchone()
    assert row is not None
    port, dbname, user = row
    return f"postgresql://{user}@127.0.0.1:{port}/{dbname}"


def query(db_uri: str, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    with psycopg.connect(db_uri, autocommit=True) as conn:
        return conn.execute(sql, params).fetchall()


@pytest.fixture
def standin(tag: str) -> Iterator[EQCStandin]:
    companies = [{"companyId": "790000001", "companyFullName": f"{tag}监听科技有限公司", "unite_code": None}]
    with EQCStandin({"token": TOKEN, "companies": companies}).start() as server:
        yield server


def start_worker(tmp_path: Path, db_uri: str, standin: EQCStandin, *args: str, **settings: str) -> Worker:
    n = len(list(tmp_path.glob("worker*.out")))
    return spawn_worker(tmp_path, f"worker{n}", ["work", *args], worker_env(db_uri, standin, **settings))


def test_a_worker_listening_on_its_own_uri_wakes_on_notify(
    db_uri: str, empty_queue: None, standin: EQCStandin, tag: str, tmp_path: Path
) -> None:
    listen_uri = tcp_uri(db_uri)
    assert listen_uri != db_uri
    # A 60 s poll: only the NOTIFY can wake it within the few seconds allowed below.
    worker = start_worker(tmp_path, db_uri, standin, "--poll-interval", "60", WDH_DATABASE__LISTEN_URI=listen_uri)
    try:

        def backends() -> list[tuple[Any, ...]]:
            return query(
                db_uri,
                "SELECT query = 'LISTEN enterprise_lookup', host(client_addr) FROM pg_stat_activity"
                " WHERE datname = current_database() AND application_name = 'company-enrichment'",
            )

        wait_until(lambda: (True, "127.0.0.1") in backends(), 30, "the worker's LISTEN connection")
        time.sleep(0.5)  # past the wake-up every (re)connection of the listener gives: the worker now sleeps
        seen = backends()
        assert [addr for listening, addr in seen if listening] == ["127.0.0.1"], "LISTEN went to the LISTEN URI"
        assert {addr for listening, addr in seen if not listening} == {None}, "the pool stayed on the socket"

        started = time.monotonic()
        with psycopg.connect(db_uri, autocommit=True) as conn:
            conn.execute("SELECT enterprise.enqueue_lookup(name => %s)", (f"{tag}监听科技有限公司",))
        wait_until(
            lambda: query(db_uri, "SELECT status, outcome FROM enterprise.lookup_requests") == [("done", "found")],
            10,
            "the request settled after the NOTIFY",
        )
        woke_in = time.monotonic() - started
    finally:
        worker.process.send_signal(signal.SIGTERM)
    assert worker.wait(20) == 0, worker.output()
    assert woke_in < 10
    assert "claimed 1, found 1" in worker.output()
    print(f"\nLISTEN on {listen_uri}: a queued name was settled {woke_in:.2f} s after the NOTIFY (poll 60 s)")


def test_a_listen_uri_that_does_not_answer_stops_the_worker_naming_the_setting(
    db_uri: str, standin: EQCStandin, tmp_path: Path
) -> None:
    with psycopg.connect(db_uri, autocommit=True) as conn:
        row = conn.execute("SELECT current_database()").fetchone()
    assert row is not None
    dead = f"postgresql://postgres@127.0.0.1:1/{row[0]}"  # nothing listens on port 1
    worker = start_worker(tmp_path, db_uri, standin, WDH_DATABASE__LISTEN_URI=dead)
    assert worker.wait(30) == 1, worker.output()
    output = worker.output()
    assert "cannot connect to the database for LISTEN (host 127.0.0.1, port 1" in output, output
    assert "Check WDH_DATABASE__LISTEN_URI" in output, output


def test_a_malformed_listen_uri_is_a_configuration_error_naming_the_setting(
    db_uri: str, standin: EQCStandin, tmp_path: Path
) -> None:
    worker = start_worker(tmp_path, db_uri, standin, WDH_DATABASE__LISTEN_URI="mysql://somewhere/db")
    assert worker.wait(30) == 2, worker.output()
    assert "WDH_DATABASE__LISTEN_URI: expected a libpq URI" in worker.output()


def test_transaction_pooling_without_a_listen_uri_is_refused_by_the_worker(
    db_uri: str, standin: EQCStandin, tmp_path: Path
) -> None:
    worker = start_worker(tmp_path, db_uri, standin, WDH_DATABASE__TRANSACTION_POOLING="true")
    assert worker.wait(30) == 2, worker.output()
    output = " ".join(worker.output().split())
    assert "WDH_DATABASE__TRANSACTION_POOLING is true but WDH_DATABASE__LISTEN_URI is not set" in output, output


def listens_on(settings: Settings) -> str:
    """Where EnrichmentDB.listen connects for these settings (a pool that is never opened: nothing connects)."""
    pool = ConnectionPool(settings.require_database_uri(), open=False)
    return EnrichmentDB(pool, listen_uri=settings.database.listen_uri)._listen_conninfo()[0]


def test_the_listen_uri_defaults_to_the_database_uri(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WDH_DATABASE__URI", "postgresql://u@db.example/enrichment")
    monkeypatch.delenv("WDH_DATABASE__LISTEN_URI", raising=False)
    assert listens_on(load_settings()) == "postgresql://u@db.example/enrichment"
    monkeypatch.setenv("WDH_DATABASE__LISTEN_URI", "postgresql://u@primary.example/enrichment")
    settings = load_settings()
    assert listens_on(settings) == "postgresql://u@primary.example/enrichment"
    assert settings.database.transaction_pooling is False
    monkeypatch.setenv("WDH_DATABASE__LISTEN_URI", "host=primary.example port")
    with pytest.raises(ConfigurationError, match="WDH_DATABASE__LISTEN_URI: not a libpq URI"):
        load_settings()


# ------------------------------------------------------------------------------ no session state in the pool


def prepared_statements(db: EnrichmentDB) -> int:
    with db.pool.connection() as conn:
        row = conn.execute("SELECT count(*) FROM pg_prepared_statements").fetchone()
    assert row is not None
    return int(row[0])


def session_changed_by(db: EnrichmentDB) -> str | None:
    with db.pool.connection() as conn:
        row = conn.execute("SELECT current_setting('enrichment.changed_by', true)").fetchone()
    assert row is not None
    return None if row[0] in (None, "") else str(row[0])


@pytest.mark.parametrize("pooling", [False, True], ids=["session", "transaction_pooling"])
def test_transaction_pooling_keeps_no_session_state_yet_names_who_changed_mappings(
    db_uri: str, tag: str, pooling: bool
) -> None:
    who = f"{tag}-person"
    with EnrichmentDB.connect(db_uri, max_size=1, changed_by=who, transaction_pooling=pooling) as db:
        for _ in range(8):  # psycopg prepares a statement on the server from its 5th execution
            db.schema_version()
        result = db.upsert_internal_mappings(
            [MappingRow(alias_name=f"{tag}会话公司", canonical_id="700000042", match_type="name")]
        )
        prepared = prepared_statements(db)
        on_session = session_changed_by(db)
    history = query(
        db_uri,
        "SELECT changed_by FROM enterprise.company_mapping_history WHERE alias_name = %s",
        (f"{tag}会话公司",),
    )
    assert history == [(who,)], "the history names the person either way"
    assert result.change_set is not None
    if pooling:
        assert prepared == 0, "nothing prepared on the server: another client may get this session next"
        assert on_session is None, "changed_by did not outlive the transaction"
    else:
        assert prepared >= 1
        assert on_session == who
