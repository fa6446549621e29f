"""Mapping history and undo through the client, against the real database: import A, import B over A, revert A
(refused with CE005, naming the rows), revert B then A (back to the start, the learned row restored), the undo of the
undo, concurrent imports (change sets never mix, nor with the worker's writes), who is recorded, and the CLI."""

from __future__ import annotations

import getpass
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from cli_support import runner, write
from company_enrichment import cli_common
from company_enrichment.cli import app
from company_enrichment.db import EnrichmentDB
from company_enrichment.errors import MappingChangeSetConflictError, MappingChangeSetNotFoundError
from company_enrichment.models import MappingRow
from company_enrichment.settings import load_settings


@pytest.fixture
def db(db_uri: str) -> Iterator[EnrichmentDB]:
    with EnrichmentDB.connect(db_uri, max_size=2, changed_by="pytest alice") as database:
        yield database


def _state(conn: psycopg.Connection[Any], tag: str) -> list[tuple[Any, ...]]:
    return conn.execute(
        "SELECT alias_name, match_type, canonical_id, source, confidence, eqc_type, updated_at"
        " FROM enterprise.company_mapping WHERE alias_name LIKE %s ORDER BY alias_name, match_type",
        (f"%{tag}%",),
    ).fetchall()


def test_import_b_over_a_then_revert_b_and_a_restores_the_start(
    db: EnrichmentDB, conn: psycopg.Connection[Any], tag: str
) -> None:
    learned = f"{tag}学来公司"
    assert db.cache_company_mapping(learned, "690000001") == "inserted"
    start = _state(conn, tag)

    a = db.upsert_internal_mappings(
        [
            MappingRow(alias_name=f"{tag}-P1", canonical_id="690000011", match_type="plan"),
            MappingRow(alias_name=f"{tag}-A1", canonical_id="690000012", match_type="account"),
            MappingRow(alias_name=learned, canonical_id="690000013", match_type="name"),
        ],
        label="a.csv",
    )
    assert (a.inserted, a.updated, a.change_set is not None) == (2, 1, True)
    b = db.upsert_internal_mappings(
        [
            MappingRow(alias_name=f"{tag}-P1", canonical_id="690000021", match_type="plan"),
            MappingRow(alias_name=f"{tag}-P2", canonical_id="690000022", match_type="plan"),
        ],
        label="b.csv",
    )
    assert b.change_set is not None and a.change_set is not None and b.change_set > a.change_set
    listed = {c.id: c for c in db.mapping_change_sets(10)}
    assert (listed[a.change_set].kind, listed[a.change_set].label) == ("import", "a.csv")
    assert (listed[a.change_set].inserted, listed[a.change_set].updated, listed[a.change_set].deleted) == (2, 1, 0)
    assert listed[b.change_set].changed_by == "pytest alice"

    after_b = _state(conn, tag)
    with pytest.raises(MappingChangeSetConflictError) as refused:
        db.revert_mapping_change_set(a.change_set)
    assert refused.value.sqlstate == "CE005"
    assert f"'{tag}-P1' (plan): change sets {b.change_set}" in (refused.value.detail or "")
    assert "force" in (refused.value.hint or "")
    assert _state(conn, tag) == after_b, "a refused revert changes nothing"

    undo_b = db.revert_mapping_change_set(b.change_set)
    assert (undo_b.kind, undo_b.reverts, undo_b.updated, undo_b.deleted) == ("revert", b.change_set, 1, 1)
    undo_a = db.revert_mapping_change_set(a.change_set)
    assert (undo_a.inserted, undo_a.updated, undo_a.deleted) == (0, 1, 2)
    assert _state(conn, tag) == start, "back to the start: A's rows gone, the learned row as it was"

    history = db.mapping_history(learned, match_type="name")
    assert [(h.operation, h.source_after, h.change_set) for h in history] == [
        ("insert", "EQC", history[0].change_set),
        ("update", "internal", a.change_set),
        ("update", "EQC", undo_a.id),
    ]
    assert {h.changed_by for h in history} == {"pytest alice"}

    # The undo can be undone: A is back.
    redo = db.revert_mapping_change_set(undo_a.id)
    assert redo.reverts == undo_a.id
    assert [r[2] for r in _state(conn, tag)] == ["690000012", "690000011", "690000013"]


def test_revert_force_and_unknown_change_set(db: EnrichmentDB, conn: psycopg.Connection[Any], tag: str) -> None:
    a = db.upsert_internal_mappings([MappingRow(alias_name=f"{tag}-F", canonical_id="691000001", match_type="plan")])
    db.upsert_internal_mappings([MappingRow(alias_name=f"{tag}-F", canonical_id="691000002", match_type="plan")])
    assert a.change_set is not None
    with pytest.raises(MappingChangeSetConflictError):
        db.revert_mapping_change_set(a.change_set)
    db.revert_mapping_change_set(a.change_set, force=True)
    assert _state(conn, tag) == [], "force: back to before A, over the later change"
    with pytest.raises(MappingChangeSetNotFoundError) as unknown:
        db.revert_mapping_change_set(-5)
    assert unknown.value.sqlstate == "CE006" and unknown.value.detail == "change_set -5"


def test_concurrent_imports_never_mix_change_sets(db_uri: str, conn: psycopg.Connection[Any], tag: str) -> None:
    rounds, size = 3, 500
    barrier = threading.Barrier(3)
    results: dict[str, list[int]] = {"x": [], "y": []}
    errors: list[BaseException] = []

    def importer(side: str) -> None:
        try:
            with EnrichmentDB.connect(db_uri, max_size=1, changed_by=f"importer {side}") as own:
                barrier.wait()
                for r in range(rounds):
                    rows = [
                        MappingRow(alias_name=f"{tag}-{side}-{i}", canonical_id=f"69{r}{i:06d}", match_type="plan")
                        for i in range(size)
                    ]
                    loaded = own.upsert_internal_mappings(rows, label=f"{side}{r}")
                    assert loaded.change_set is not None
                    results[side].append(loaded.change_set)
        except BaseException as exc:  # reported by the main thread
            errors.append(exc)

    def learner() -> None:
        # The worker's path at the same time: its writes get change sets of their own.
        try:
            with EnrichmentDB.connect(db_uri, max_size=1, changed_by="learner") as own:
                barrier.wait()
                for i in range(40):
                    own.cache_company_mapping(f"{tag}并发学来{i}", "692000001")
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=importer, args=(s,)) for s in ("x", "y")] + [threading.Thread(target=learner)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not errors, errors
    assert len(set(results["x"] + results["y"])) == 2 * rounds
    for side, change_sets in results.items():
        rows = conn.execute(
            "SELECT change_set, count(*), bool_and(alias_name LIKE %s), bool_and(changed_by = %s)"
            " FROM enterprise.company_mapping_history WHERE change_set = ANY(%s) GROUP BY change_set",
            (f"{tag}-{side}-%", f"importer {side}", change_sets),
        ).fetchall()
        # round 0 inserts every row, later rounds update every row: `size` entries each, all of this importer
        assert sorted(rows) == sorted((cs, size, True, True) for cs in change_sets), (side, rows)
    learned = conn.execute(
        "SELECT count(*), count(DISTINCT change_set), bool_and(changed_by = 'learner')"
        " FROM enterprise.company_mapping_history WHERE alias_name LIKE %s",
        (f"{tag}并发学来%",),
    ).fetchone()
    assert learned == (40, 40, True), "each cache write is its own transaction, so its own change set"


def test_changed_by_defaults_to_the_os_user(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("WDH_CHANGED_BY", raising=False)
    assert load_settings().changed_by == getpass.getuser()
    monkeypatch.setenv("WDH_CHANGED_BY", "carol")
    assert load_settings().changed_by == "carol"


# ---------------------------------------------------------------------------------------------------- CLI


@pytest.fixture
def cli_env(db_uri: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WDH_DATABASE__URI", db_uri)
    monkeypatch.setenv("WDH_CHANGED_BY", "cli bob")
    monkeypatch.setattr(cli_common.console, "width", 250)  # whole table cells, never wrapped


def _change_set_of(output: str) -> int:
    return int(output.rsplit("change set ", 1)[1].split()[0])


def test_cli_import_history_imports_and_revert(cli_env: None, tmp_path: Path, tag: str) -> None:
    a_file = write(tmp_path / "a.csv", f"alias_name,canonical_id,match_type\n{tag}-P,693000001,plan\n")
    b_file = write(tmp_path / "b.csv", f"alias_name,canonical_id,match_type\n{tag}-P,693000002,plan\n")
    a = runner.invoke(app, ["mappings", "import", str(a_file)])
    assert a.exit_code == 0, a.output
    a_id = _change_set_of(a.output)
    b = runner.invoke(app, ["mappings", "import", str(b_file), "--label", f"{tag} second"])
    assert b.exit_code == 0, b.output
    b_id = _change_set_of(b.output)

    listed = runner.invoke(app, ["mappings", "imports", "--limit", "5"])
    assert listed.exit_code == 0, listed.output
    assert "a.csv" in listed.output and f"{tag} second" in listed.output and "cli bob" in listed.output

    history = runner.invoke(app, ["mappings", "history", f"{tag}-P", "--match-type", "plan"])
    assert history.exit_code == 0, history.output
    assert "693000001 -> 693000002" in history.output and str(b_id) in history.output
    none = runner.invoke(app, ["mappings", "history", f"{tag}-nothing"])
    assert none.exit_code == 0 and "no history" in none.output

    refused = runner.invoke(app, ["mappings", "revert", str(a_id)])
    assert refused.exit_code == 1, refused.output
    assert "CE005" in refused.output and f"'{tag}-P' (plan): change sets {b_id}" in refused.output
    assert "--force" in refused.output
    undone = runner.invoke(app, ["mappings", "revert", str(b_id)])
    assert undone.exit_code == 0, undone.output
    assert f"change set {b_id} reverted as change set" in undone.output and "1 updated" in undone.output
    forced = runner.invoke(app, ["mappings", "revert", str(a_id), "--force"])
    assert forced.exit_code == 0 and "1 deleted" in forced.output, forced.output

    unknown = runner.invoke(app, ["mappings", "revert", "999999999"])
    assert unknown.exit_code == 1 and "CE006" in unknown.output and "does not exist" in unknown.output


def test_two_concurrent_reverts_of_one_change_set_apply_once(db: EnrichmentDB, db_uri: str, tag: str) -> None:
    """The revert locks out other reverts and loads until it commits: the second one sees the first one's work and
    is refused (CE005) instead of undoing the change set twice."""
    loaded = db.upsert_internal_mappings(
        [MappingRow(alias_name=f"{tag}-R{i}", canonical_id=f"694{i:06d}", match_type="plan") for i in range(2000)]
    )
    assert loaded.change_set is not None
    change_set = loaded.change_set
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def revert() -> None:
        with EnrichmentDB.connect(db_uri, max_size=1) as own:
            barrier.wait()
            try:
                done = own.revert_mapping_change_set(change_set)
                outcomes.append(f"reverted {done.deleted}")
            except MappingChangeSetConflictError:
                outcomes.append("CE005")

    threads = [threading.Thread(target=revert) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert sorted(outcomes) == ["CE005", "reverted 2000"]
    assert db.mapping_history(f"{tag}-R0")[-1].operation == "delete"
    assert len(db.mapping_history(f"{tag}-R0")) == 2, "inserted once, deleted once"
