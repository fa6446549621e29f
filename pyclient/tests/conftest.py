"""Shared fixtures: every test talks to the real PostgreSQL that `make test` deployed."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pytest


@pytest.fixture(scope="session")
def db_uri() -> str:
    uri = os.environ.get("WDH_DATABASE__URI")
    if not uri:
        pytest.fail(
            "WDH_DATABASE__URI is not set: run the tests with `make test`, which starts the "
            "project-local database, or export the URI of a database where the plan is deployed"
        )
    return uri


@pytest.fixture(scope="session")
def standby_uri() -> str:
    """A streaming hot standby of the test database (the replica tests): ``make test`` starts one with
    scripts/standby.sh and exports its URI as WDH_TEST_STANDBY_URI."""
    uri = os.environ.get("WDH_TEST_STANDBY_URI")
    if not uri:
        pytest.fail(
            "WDH_TEST_STANDBY_URI is not set: the replica tests need a hot standby of the test database. Run them "
            'with `make test`, or `scripts/standby.sh start && eval "$(scripts/standby.sh env)"` for the local '
            "cluster, or export the URI of a standby of your WDH_DATABASE__URI (as a superuser: the tests pause "
            "and resume its replay)"
        )
    return uri


@pytest.fixture
def conn(db_uri: str) -> Iterator[psycopg.Connection[tuple[object, ...]]]:
    with psycopg.connect(db_uri, autocommit=True) as connection:
        yield connection


@pytest.fixture
def tag() -> str:
    """A unique marker for the keys a test creates, so tests never collide."""
    return f"pytest-{uuid.uuid4().hex[:12]}"


@pytest.fixture
def env(db_uri: str, standin: Any, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """Point the command line at the test database and at the module's ``standin`` fixture (an EQCStandin)."""
    values = {
        "WDH_DATABASE__URI": db_uri,
        "WDH_EQC_BASE_URL": standin.url,
        "WDH_EQC_TOKEN": standin.token,
        "WDH_EQC_RATE_LIMIT": "60000",
        "WDH_EQC_RETRY_MAX": "0",
    }
    for key, value in values.items():
        monkeypatch.setenv(key, value)
    return values


@pytest.fixture
def empty_queue(db_uri: str) -> Iterator[None]:
    """Start from an empty lookup queue: workers drain whatever is due, so tests must not see each other's requests."""
    with psycopg.connect(db_uri, autocommit=True) as connection:
        connection.execute("DELETE FROM enterprise.lookup_requests")
    yield
    with psycopg.connect(db_uri, autocommit=True) as connection:
        connection.execute("DELETE FROM enterprise.lookup_requests")


@pytest.fixture
def upgrade_db(db_uri: str) -> Iterator[tuple[str, str]]:
    """A fresh database next to the test database; yields (libpq URI, sqitch target) and drops it at the end."""
    name = f"upgrade_{uuid.uuid4().hex[:10]}"
    parts = urlsplit(db_uri)
    uri = urlunsplit(parts._replace(path=f"/{name}"))
    target = "db:pg:" + uri.split(":", 1)[1]
    with psycopg.connect(db_uri, autocommit=True) as admin:
        admin.execute(f"CREATE DATABASE {name}")
    try:
        yield uri, target
    finally:
        with psycopg.connect(db_uri, autocommit=True) as admin:
            admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@pytest.fixture
def short_lease(db_uri: str) -> Iterator[None]:
    """queue_settings.default_lease = 2 s for the test, then back to what it was."""
    with psycopg.connect(db_uri, autocommit=True) as conn:
        row = conn.execute("SELECT default_lease FROM enterprise.queue_settings").fetchone()
        assert row is not None
        conn.execute("SELECT enterprise.configure_lookup_queue(default_lease => interval '2 seconds')")
    try:
        yield
    finally:
        with psycopg.connect(db_uri, autocommit=True) as conn:
            conn.execute("SELECT enterprise.configure_lookup_queue(default_lease => %s)", (row[0],))
