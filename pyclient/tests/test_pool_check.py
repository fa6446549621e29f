"""The pool's check before it hands a connection out (``db._check_connection``): a round trip, skipped only for a
connection that ended a call a moment ago and has heard nothing from the server since. A session the server closed
in that moment is still replaced, not handed out to fail the next call."""

from __future__ import annotations

import select
import time
from collections.abc import Iterator
from typing import Any

import psycopg
import pytest
from company_enrichment import db as db_module
from company_enrichment.db import EnrichmentDB
from company_enrichment.errors import DatabaseError
from psycopg_pool import ConnectionPool


@pytest.fixture
def round_trips(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The backend pid of each connection the pool checked with a round trip."""
    checked: list[int] = []
    real = ConnectionPool.check_connection

    def spy(conn: psycopg.Connection[Any]) -> None:
        checked.append(conn.info.backend_pid)
        real(conn)

    monkeypatch.setattr(ConnectionPool, "check_connection", staticmethod(spy))
    return checked


@pytest.fixture
def db(db_uri: str) -> Iterator[EnrichmentDB]:
    with EnrichmentDB.connect(db_uri, min_size=1, max_size=1) as database:
        yield database


def _pid(database: EnrichmentDB) -> int:
    with database._connection() as conn:
        row = conn.execute("SELECT pg_backend_pid()").fetchone()
    assert row is not None
    return int(row[0])


def test_a_connection_reused_at_once_skips_the_round_trip_and_one_left_longer_is_checked(
    db: EnrichmentDB, round_trips: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    first = _pid(db)
    assert round_trips == [first], "the first use of a connection is checked"
    for _ in range(5):
        assert _pid(db) == first
    assert round_trips == [first], "a connection that ended a call a moment ago is handed out as it is"
    monkeypatch.setattr(db_module, "QUIET_REUSE_SECONDS", 0.05)
    time.sleep(0.1)
    assert _pid(db) == first
    assert round_trips == [first, first], "after QUIET_REUSE_SECONDS the pool checks it again"


def test_a_call_that_failed_leaves_its_connection_to_be_checked(db: EnrichmentDB, round_trips: list[int]) -> None:
    pid = _pid(db)
    with pytest.raises(DatabaseError), db._connection() as conn:
        conn.execute("SELECT 1 / 0")
    assert _pid(db) == pid
    assert round_trips == [pid, pid], "the connection of a failed call gets the round trip"


def test_a_session_the_server_ended_a_moment_ago_is_replaced_not_handed_out(
    db: EnrichmentDB, db_uri: str, round_trips: list[int]
) -> None:
    """The server ends the pooled session right after a call (pg_terminate_backend: it sends the reason, then
    closes): the next call gets a new session and succeeds, well inside QUIET_REUSE_SECONDS."""
    pid = _pid(db)
    with psycopg.connect(db_uri, autocommit=True) as admin:
        assert admin.execute("SELECT pg_terminate_backend(%s, 5000)", (pid,)).fetchone() == (True,)
    started = time.monotonic()
    assert db.schema_version()
    assert time.monotonic() - started < db_module.QUIET_REUSE_SECONDS + 5
    new = _pid(db)
    assert new != pid, "a new session"
    assert round_trips[:2] == [pid, pid], "the ended session was checked (and failed the check), not handed out"


def test_the_socket_check_sees_what_the_server_sent(db_uri: str) -> None:
    with psycopg.connect(db_uri, autocommit=True) as conn, psycopg.connect(db_uri, autocommit=True) as admin:
        assert not db_module._has_input(conn.fileno()), "an idle session: nothing to read"
        admin.execute("SELECT pg_terminate_backend(%s, 5000)", (conn.info.backend_pid,))
        deadline = time.monotonic() + 5
        while not db_module._has_input(conn.fileno()) and time.monotonic() < deadline:
            time.sleep(0.01)
        assert db_module._has_input(conn.fileno()), "the server's notice and end of file are there to read"


def test_a_socket_that_cannot_be_polled_counts_as_having_input(monkeypatch: pytest.MonkeyPatch) -> None:
    """Where poll() is missing and select() refuses the socket's number (gevent, eventlet, 1,024 files open), the
    pool makes the round trip instead of failing its check."""
    monkeypatch.delattr(select, "poll")

    def refuse(*args: object) -> None:
        raise ValueError("filedescriptor out of range in select()")

    monkeypatch.setattr(select, "select", refuse)
    assert db_module._has_input(5000)
