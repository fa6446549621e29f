"""Replica reads (issue 14) against a real streaming hot standby (scripts/standby.sh, started by ``make test``).

- Primary + standby gives, column for column, what the primary alone gives, on a 10,000-record mix of every kind
  of record, run twice (the second run meets the names the first queued and the TEMP keys it minted), then with
  ``jobs``. The two answers come from twin databases made from one template, so both start from the same state
  (the same mappings, queue and sequences) and a TEMP id or request id must match to the number.
- A standby whose replay is paused is not used while it misses writes the primary has (a curated mapping over a
  learned name: the paused standby would answer the old, final-looking id), and is used again once resumed.
- A stopped standby, a closed port and the primary given as a standby are skipped with a warning; the answers stay
  the primary's.
- A login that is only ``enrichment_reader`` is enough on the standby; ``resolve``, ``resolve_frame`` and the
  Dagster resource go through the standby when configured.
"""

from __future__ import annotations

import logging
import random
import subprocess
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pandas as pd  # type: ignore[import-untyped]
import psycopg
import pytest
from cli_support import read_rows, runner, write
from company_enrichment.cli import app
from company_enrichment.columns import RecordColumns, ResultRow, chunk_bounds
from company_enrichment.db import EnrichmentDB
from company_enrichment.errors import InvalidInputError
from company_enrichment.frames import resolve_frame
from company_enrichment.models import MappingRow
from company_enrichment.replicas import ReplicaRouter
from company_enrichment.service import CompanyEnrichmentService
from company_enrichment.settings import load_settings
from psycopg.conninfo import make_conninfo
from sqitch_support import deploy

ROOT = Path(__file__).resolve().parents[2]
LONG = "长" * 300  # a key over 255 characters: a TEMP id keyed on the name
SIZE = 10_000
BATCH = 2_500


def _with_dbname(uri: str, name: str) -> str:
    return urlunsplit(urlsplit(uri)._replace(path=f"/{name}"))


def _wait_replayed(primary_uri: str, standby_uri: str, timeout: float = 60.0) -> None:
    """Until the standby has replayed everything the primary has written so far."""
    with psycopg.connect(primary_uri, autocommit=True) as primary:
        row = primary.execute("SELECT pg_current_wal_lsn()::text").fetchone()
    assert row is not None
    deadline = time.monotonic() + timeout
    with psycopg.connect(standby_uri, autocommit=True) as standby:
        while True:
            done = standby.execute("SELECT pg_last_wal_replay_lsn() >= %s::pg_lsn", (row[0],)).fetchone()
            if done is not None and done[0]:
                return
            assert time.monotonic() < deadline, "the standby did not catch up within a minute"
            time.sleep(0.05)


# ------------------------------------------------------------------------------------------ the fixture mix


def _mappings() -> list[MappingRow]:
    rows = [MappingRow(alias_name=f"PLAN-{i}", canonical_id=f"61{i:07d}", match_type="plan") for i in range(50)]
    rows += [MappingRow(alias_name=f"ACCT-{i}", canonical_id=f"62{i:07d}", match_type="account") for i in range(50)]
    rows += [MappingRow(alias_name=f"HC-{i}", canonical_id=f"63{i:07d}", match_type="hardcode") for i in range(30)]
    rows += [
        MappingRow(alias_name=f"客户{i}有限公司", canonical_id=f"64{i:07d}", match_type="name") for i in range(200)
    ]
    rows += [
        MappingRow(alias_name=f"年金账户{i}", canonical_id=f"65{i:07d}", match_type="account_name") for i in range(50)
    ]
    return rows


def _learned() -> list[tuple[str, str]]:
    return [(f"学到{i}科技有限公司", f"66{i:07d}") for i in range(100)]


def _mix(count: int = SIZE, *, seed: int = 14) -> tuple[RecordColumns, list[int]]:
    """Every kind of record, keys repeated all over: (the records, each one's kind).

    0 curated plan (with a name), 1 curated account number, 2 hardcode plan code, 3 curated name (a quarter
    decorated), 4 curated account name, 5 learned name, 6 unknown name (queued; 600 names), 7 no customer name and
    an unknown plan code (TEMP keyed on the record), 8 a name too long to look up (TEMP keyed on the name),
    9 a placeholder name and an unknown account name (TEMP keyed on the record), 10 no field at all (a fresh TEMP
    id every time)."""
    rng = random.Random(seed)
    plan: list[str | None] = []
    customer: list[str | None] = []
    account_name: list[str | None] = []
    account: list[str | None] = []
    kinds: list[int] = []
    weights = [8, 6, 4, 25, 5, 10, 22, 8, 3, 6, 3]
    for _ in range(count):
        kind = rng.choices(range(11), weights)[0]
        p = c = an = a = None
        match kind:
            case 0:
                p, c = f" PLAN-{rng.randrange(50)} ", f"随便{rng.randrange(9)}公司"
            case 1:
                a = f"ACCT-{rng.randrange(50)}"
            case 2:
                p = f"HC-{rng.randrange(30)}"
            case 3:
                c = f"客户{rng.randrange(200)}有限公司" + ("（已注销）" if rng.random() < 0.25 else "")
            case 4:
                an = f"年金账户{rng.randrange(50)}"
            case 5:
                c = f"学到{rng.randrange(100)}科技有限公司"
            case 6:
                c = f"未知{rng.randrange(600)}贸易公司" + (" " if rng.random() < 0.2 else "")
            case 7:
                p = f"NOPLAN-{rng.randrange(300)}"
            case 8:
                c = f"{rng.randrange(20)}{LONG}"
            case 9:
                c, an = "n/a", f"无名账户{rng.randrange(100)}"
        plan.append(p)
        customer.append(c)
        account_name.append(an)
        account.append(a)
        kinds.append(kind)
    return RecordColumns(plan, customer, account_name, account), kinds


def _between_runs(uri: str) -> None:
    """What happens between two pipeline runs, the same on both twins: EQC answers for 100 of the queued names
    (learned), and curated mappings for 50 more."""
    with EnrichmentDB.connect(uri, max_size=1) as db:
        for k in range(100):
            db.cache_company_mapping(f"未知{k}贸易公司", f"67{k:07d}")
        db.upsert_internal_mappings(
            [
                MappingRow(alias_name=f"未知{k}贸易公司", canonical_id=f"68{k:07d}", match_type="name")
                for k in range(100, 150)
            ]
        )


@pytest.fixture(scope="module")
def twins(db_uri: str, standby_uri: str) -> Iterator[tuple[str, str, str]]:
    """(primary-only twin, replica twin, the replica twin on the standby): two databases made from one template
    with the SQL API deployed, the curated mappings loaded and names learned; dropped at the end."""
    suffix = uuid.uuid4().hex[:10]
    names = [f"replica_base_{suffix}", f"replica_a_{suffix}", f"replica_b_{suffix}"]
    base, a, b = (_with_dbname(db_uri, name) for name in names)
    with psycopg.connect(db_uri, autocommit=True) as admin:
        admin.execute(f"CREATE DATABASE {names[0]}")
    try:
        deploy("db:pg:" + base.split(":", 1)[1])
        with EnrichmentDB.connect(base, max_size=1) as db:
            db.upsert_internal_mappings(_mappings())
            for alias, company in _learned():
                db.cache_company_mapping(alias, company)
        with psycopg.connect(db_uri, autocommit=True) as admin:
            admin.execute(f"CREATE DATABASE {names[1]} TEMPLATE {names[0]}")
            admin.execute(f"CREATE DATABASE {names[2]} TEMPLATE {names[0]}")
        _wait_replayed(db_uri, _with_dbname(standby_uri, "postgres"))
        yield a, b, _with_dbname(standby_uri, names[2])
    finally:
        with psycopg.connect(db_uri, autocommit=True) as admin:
            for name in names:
                admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def _batches(columns: RecordColumns, size: int = BATCH) -> list[RecordColumns]:
    return [columns.slice(start, stop) for start, stop in chunk_bounds(len(columns), size)]


def _run(
    service: CompanyEnrichmentService, columns: RecordColumns, *, jobs: int = 1, size: int = BATCH
) -> list[ResultRow]:
    rows: list[ResultRow] = []
    for part in service.resolve_batches(_batches(columns, size), jobs=jobs):
        rows.extend(part)
    return rows


def _temp_key(columns: RecordColumns, kinds: list[int], i: int) -> str | None:
    """The TEMP key of a keyed TEMP record of the mix (kinds 7, 8, 9), as the mix spells it; None for the others."""
    match kinds[i]:
        case 7:
            return f"plan:{columns.plan_codes[i]}"  # type: ignore[index]
        case 8:
            return f"name:{columns.customer_names[i]}"  # type: ignore[index]
        case 9:
            return f"account_name:{columns.account_names[i]}"  # type: ignore[index]
    return None


def _final(columns: RecordColumns, kinds: list[int], rows: list[ResultRow], minted: set[str], size: int = BATCH) -> int:
    """How many answers a caught-up standby gives: the mapping hits, and the TEMP ids of keyed records whose key was
    minted before (``minted``: before the run, updated in place) or by an earlier batch of the run."""
    final = 0
    for start, stop in chunk_bounds(len(rows), size):
        new: set[str] = set()
        for i in range(start, stop):
            key = _temp_key(columns, kinds, i)
            if rows[i][1].startswith("success") or (key is not None and key in minted):
                final += 1
            elif key is not None:
                new.add(key)
        minted |= new
    return final


def test_primary_and_standby_answer_as_the_primary_alone_on_10000_mixed_records(
    twins: tuple[str, str, str],
) -> None:
    a_uri, b_uri, b_standby = twins
    columns, kinds = _mix()
    with (
        EnrichmentDB.connect(a_uri, max_size=4) as a_db,
        EnrichmentDB.connect(b_uri, max_size=4) as b_db,
        ReplicaRouter([b_standby], max_wait=10.0, pool_max_size=4) as replicas,
    ):
        alone = CompanyEnrichmentService(a_db, None)
        combined = CompanyEnrichmentService(b_db, None, replicas=replicas)

        # 1. a fresh state: names queued, TEMP ids minted (on the primary, in both twins)
        first_alone = _run(alone, columns)
        first = _run(combined, columns)
        assert first == first_alone
        statuses = {row[1] for row in first}
        assert statuses == {"success_internal", "success_external", "pending_lookup", "temp_assigned"}
        assert {row[2] for row in first if row[1] == "success_internal"} == {
            "plan",
            "account",
            "hardcode",
            "name",
            "account_name",
        }
        stats = replicas.stats
        assert stats.batches == stats.batches_on_replica == SIZE // BATCH
        minted: set[str] = set()
        assert stats.records_from_replica == _final(columns, kinds, first, minted), (
            "the mapping hits, and the TEMP keys an earlier batch minted, are final on the standby"
        )
        assert stats.records_to_primary == SIZE - stats.records_from_replica

        # 2. between runs, the same writes on both; then the names queued and the TEMP keys minted by run 1 return
        _between_runs(a_uri)
        _between_runs(b_uri)
        second_alone = _run(alone, columns)
        second = _run(combined, columns)
        assert second == second_alone
        assert sum(1 for row in second if row[0] and row[0].startswith("67")) > 0, "names learned between the runs"
        assert sum(1 for row in second if row[0] and row[0].startswith("68")) > 0, "names curated between the runs"
        assert [r[4] for r, k in zip(second, kinds, strict=True) if k in (7, 8, 9)] == [
            r[4] for r, k in zip(first, kinds, strict=True) if k in (7, 8, 9)
        ], "keyed TEMP ids are remembered"
        before = stats
        stats = replicas.stats
        assert stats.batches_on_replica - before.batches_on_replica == SIZE // BATCH
        from_replica = stats.records_from_replica - before.records_from_replica
        assert from_replica == _final(columns, kinds, second, minted), "hits and remembered TEMP ids: the standby's"
        assert stats.records_to_primary - before.records_to_primary == SIZE - from_replica
        assert SIZE - from_replica == sum(1 for row in second if row[1] == "pending_lookup") + kinds.count(10)

        # 3. jobs: four batches of 1,000 in flight at once, over both pools
        third_alone = _run(alone, columns, jobs=4, size=1_000)
        third = _run(combined, columns, jobs=4, size=1_000)
        fresh = [i for i, kind in enumerate(kinds) if kind == 10]  # fresh TEMP ids: their order depends on threads
        assert [r for i, r in enumerate(third) if kinds[i] != 10] == [
            r for i, r in enumerate(third_alone) if kinds[i] != 10
        ]
        assert {third[i][1] for i in fresh} == {"temp_assigned"}
        assert replicas.stats.batches_on_replica - stats.batches_on_replica == SIZE // 1_000


# ------------------------------------------------------------------------------------------ lag and failures


@pytest.fixture
def primary(db_uri: str) -> Iterator[EnrichmentDB]:
    with EnrichmentDB.connect(db_uri, max_size=4) as db:
        yield db


@pytest.fixture
def paused(standby_uri: str) -> Iterator[psycopg.Connection[tuple[object, ...]]]:
    """A superuser connection to the standby; replay is resumed at the end whatever happens."""
    with psycopg.connect(standby_uri, autocommit=True) as conn:
        try:
            yield conn
        finally:
            conn.execute("SELECT pg_wal_replay_resume()")


def _columns(names: list[str | None]) -> RecordColumns:
    return RecordColumns(None, names, None, None)


def test_a_paused_standby_is_not_used_and_the_answer_is_the_primarys(
    primary: EnrichmentDB,
    paused: psycopg.Connection[tuple[object, ...]],
    db_uri: str,
    standby_uri: str,
    tag: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    learned_then_curated, learned, curated = f"{tag}先学后定公司", f"{tag}后学公司", f"{tag}后定公司"
    primary.cache_company_mapping(learned_then_curated, "691000001")
    columns = _columns([learned_then_curated, learned, curated, f"{tag}旧名甲"])
    # The first batch is to find the standby caught up: wait here, not within the router's 0.3 s, which a loaded
    # machine can miss (CI once saw the batch sent to the primary as "behind").
    _wait_replayed(db_uri, standby_uri)
    with ReplicaRouter([standby_uri], max_wait=0.3, pool_max_size=2) as replicas:
        service = CompanyEnrichmentService(primary, None, replicas=replicas)
        service.resolve_columns(columns)  # queues the unknown names; the standby is used
        assert replicas.stats.batches_on_replica == 1

        _wait_replayed(db_uri, standby_uri)
        paused.execute("SELECT pg_wal_replay_pause()")
        while paused.execute("SELECT pg_get_wal_replay_pause_state()").fetchone() != ("paused",):
            time.sleep(0.01)
        primary.upsert_internal_mappings(
            [
                MappingRow(alias_name=learned_then_curated, canonical_id="691000002", match_type="name"),
                MappingRow(alias_name=curated, canonical_id="691000003", match_type="name"),
            ]
        )
        primary.cache_company_mapping(learned, "691000004")

        with EnrichmentDB.connect(standby_uri, max_size=1) as stale:
            standby_says = stale.resolve_rows(columns, preview=True)
        assert standby_says[0][:2] == ("691000001", "success_external"), "the paused standby has a stale final answer"

        caplog.set_level(logging.INFO, logger="company_enrichment.replicas")
        answered = service.resolve_columns(columns)
        assert answered == primary.resolve_rows(columns)
        assert [row[:2] for row in answered[:3]] == [
            ("691000002", "success_internal"),
            ("691000004", "success_external"),
            ("691000003", "success_internal"),
        ]
        stats = replicas.stats
        assert (stats.batches_on_replica, stats.batches_replica_behind) == (1, 1), "the paused standby was not used"
        assert stats.records_to_primary == 3 + 4, "the learned name came from the standby in the first batch, only"
        assert "no standby replayed the primary's WAL position" in caplog.text

        paused.execute("SELECT pg_wal_replay_resume()")
        answered = service.resolve_columns(columns)
        assert answered == primary.resolve_rows(columns)
        stats = replicas.stats
        assert (stats.batches_on_replica, stats.batches_replica_behind) == (2, 1), "used again once resumed"
        assert stats.records_from_replica == 1 + 3, "the three mapped names now come from the standby"
        assert "a standby caught up with the primary again" in caplog.text


def _harness_standby(standby_uri: str) -> bool:
    """Whether the standby is scripts/standby.sh's (which this test may stop and start), not one of the user's."""
    done = subprocess.run(
        [str(ROOT / "scripts/standby.sh"), "env"], capture_output=True, text=True, check=False, timeout=60
    )
    return done.returncode == 0 and f"WDH_TEST_STANDBY_URI='{standby_uri}'" in done.stdout


def test_a_stopped_or_unreachable_standby_is_skipped_with_a_warning(
    primary: EnrichmentDB, standby_uri: str, tag: str, caplog: pytest.LogCaptureFixture
) -> None:
    columns = _columns([f"{tag}停机甲", f"{tag}停机乙", f"{tag}停机甲"])
    expected = primary.resolve_rows(columns)  # queues the names: the same answers from now on
    closed = "postgresql://postgres@127.0.0.1:1/enrichment"
    caplog.set_level(logging.WARNING, logger="company_enrichment.replicas")
    with ReplicaRouter([closed, standby_uri], max_wait=5.0, retry_after=0.5, pool_max_size=2) as replicas:
        service = CompanyEnrichmentService(primary, None, replicas=replicas)
        assert service.resolve_columns(columns) == expected
        assert "standby 127.0.0.1:1/enrichment cannot be reached, skipped for 0 s" in caplog.text
        assert replicas.stats.batches_on_replica == 1, "the reachable standby answered"

        if not _harness_standby(standby_uri):
            return  # a standby of the user's own (LOCAL_DB=0): not ours to stop; the closed port stood for it
        stop = subprocess.run([str(ROOT / "scripts/standby.sh"), "stop"], capture_output=True, text=True, timeout=120)
        assert stop.returncode == 0, stop.stderr
        try:
            caplog.clear()
            for _ in range(3):
                assert service.resolve_columns(columns) == expected
            stats = replicas.stats
            assert stats.batches_on_replica == 1 and stats.batches_no_replica == 3
            assert "failed" in caplog.text or "cannot be reached" in caplog.text
        finally:
            start = subprocess.run(
                [str(ROOT / "scripts/standby.sh"), "start"], capture_output=True, text=True, timeout=300
            )
            assert start.returncode == 0, start.stderr
        time.sleep(0.6)  # the back-off
        assert service.resolve_columns(columns) == expected
        assert replicas.stats.batches_on_replica == 2, "used again once it is back"


def test_the_primary_given_as_a_standby_is_refused(
    primary: EnrichmentDB, db_uri: str, tag: str, caplog: pytest.LogCaptureFixture
) -> None:
    columns = _columns([f"{tag}主库甲", None])
    caplog.set_level(logging.WARNING, logger="company_enrichment.replicas")
    with ReplicaRouter([db_uri], max_wait=0.5) as replicas:
        service = CompanyEnrichmentService(primary, None, replicas=replicas)
        answered = service.resolve_columns(columns)
        assert answered[0][1] == "pending_lookup" and answered[1][1] == "temp_assigned"
        assert service.resolve_columns(columns)[0] == answered[0]
        stats = replicas.stats
        assert (stats.batches_on_replica, stats.batches_no_replica, stats.records_to_primary) == (0, 2, 4)
    assert "is not a standby (pg_is_in_recovery() is false)" in caplog.text


def test_a_reader_login_is_enough_on_the_standby(
    primary: EnrichmentDB, db_uri: str, standby_uri: str, tag: str
) -> None:
    role = f"reader_{tag.replace('-', '_')}"
    with psycopg.connect(db_uri, autocommit=True) as admin:
        admin.execute(f"CREATE ROLE {role} LOGIN IN ROLE enrichment_reader")
    try:
        _wait_replayed(db_uri, standby_uri)
        reader_uri = make_conninfo(standby_uri, user=role)
        primary.upsert_internal_mappings(
            [MappingRow(alias_name=f"{tag}读者公司", canonical_id="692000001", match_type="name")]
        )
        columns = _columns([f"{tag}读者公司"])
        with ReplicaRouter([reader_uri], max_wait=5.0) as replicas:
            service = CompanyEnrichmentService(primary, None, replicas=replicas)
            assert service.resolve_columns(columns)[0][:2] == ("692000001", "success_internal")
            assert replicas.stats.records_from_replica == 1
    finally:
        with psycopg.connect(db_uri, autocommit=True) as admin:
            admin.execute(f"DROP ROLE IF EXISTS {role}")


def test_records_the_database_refuses_raise_as_without_standbys(primary: EnrichmentDB, standby_uri: str) -> None:
    columns = _columns(["ok", "bad \ud800 name"])
    with pytest.raises(InvalidInputError) as alone:
        primary.resolve_rows(columns)
    with ReplicaRouter([standby_uri], max_wait=5.0) as replicas:
        service = CompanyEnrichmentService(primary, None, replicas=replicas)
        with pytest.raises(InvalidInputError) as combined:
            service.resolve_columns(columns)
        assert str(combined.value) == str(alone.value)
        assert replicas.stats.batches == 0, "not counted: nothing was answered"


# ------------------------------------------------------------------------------------------ the adapters


def test_settings_read_the_standbys_and_the_wait(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WDH_DATABASE__REPLICA_URIS", " postgresql://r@h1/db , postgresql://r@h2:5433/db,")
    monkeypatch.setenv("WDH_REPLICA_MAX_WAIT", "0.25")
    settings = load_settings()
    assert settings.database.replica_uris == ("postgresql://r@h1/db", "postgresql://r@h2:5433/db")
    assert settings.replica_max_wait == 0.25
    monkeypatch.setenv("WDH_DATABASE__REPLICA_URIS", "postgresql://r@h1/db,not a uri")
    with pytest.raises(Exception, match="WDH_DATABASE__REPLICA_URIS: not a libpq URI"):
        load_settings()


def test_resolve_command_and_frames_go_through_the_standby(
    db_uri: str, standby_uri: str, tag: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, primary: EnrichmentDB
) -> None:
    primary.upsert_internal_mappings([MappingRow(alias_name=f"{tag}-P", canonical_id="693000001", match_type="plan")])
    lines = ["plan_code,customer_name"] + [
        f"{tag}-P,x" if i % 3 == 0 else f",{tag}命令{i % 7}公司" if i % 3 == 1 else f"{tag}-NP{i % 5},"
        for i in range(60)
    ]
    source = write(tmp_path / "in.csv", "\n".join(lines) + "\n")
    monkeypatch.setenv("WDH_DATABASE__URI", db_uri)
    monkeypatch.setenv("WDH_COMPANY_ENRICHMENT_ENABLED", "false")
    first = runner.invoke(app, ["resolve", str(source), "-o", str(tmp_path / "1.csv"), "--batch-size", "20"])
    assert first.exit_code == 0, first.output
    assert "standbys:" not in first.output
    monkeypatch.setenv("WDH_DATABASE__REPLICA_URIS", standby_uri)
    second = runner.invoke(
        app, ["resolve", str(source), "-o", str(tmp_path / "2.csv"), "--batch-size", "20", "--jobs", "2"]
    )
    assert second.exit_code == 0, second.output
    assert read_rows(tmp_path / "2.csv") == read_rows(tmp_path / "1.csv")
    # Every record has a key now (names queued, TEMP keys minted): only the 20 pending ones reach the primary.
    assert "standbys: 3 of 3 batches read on a standby" in second.output
    assert "20 of 60 records (33.3%) reached the primary" in second.output

    df = pd.read_csv(source, dtype=str, keep_default_na=False)
    with ReplicaRouter([standby_uri], max_wait=5.0) as replicas:
        service = CompanyEnrichmentService(primary, None, replicas=replicas)
        out = resolve_frame(df, service_or_db=service, chunk_size=25)
        assert out["company_id"].tolist() == [r["company_id"] or None for r in read_rows(tmp_path / "1.csv")]
        assert replicas.stats.batches_on_replica == 3 and replicas.stats.records_from_replica == 40
        # plan-only is preview_company_ids alone: every record is answered on the standby, as the primary would
        planned = resolve_frame(df, service_or_db=service, chunk_size=25, plan_only=True)
        assert planned["status"].tolist() == out["status"].tolist()
        assert replicas.stats.records_from_replica == 40 + 60 and replicas.stats.records_to_primary == 20
