"""The upgrade from the release @v0.2.1 to HEAD (mapping history and undo), as a DBA runs it.

In a database of its own: deploy @v0.2.1 and fill it (curated and learned mappings, queued and settled requests, TEMP
ids); deploy HEAD and verify; the history tables exist and start empty, and nothing else changed: every mapping (to
its updated_at), TEMP id, request and answer is as before. Then HEAD's own undo works on the upgraded data, and
reverting to @v0.2.1 drops the history and leaves the rest as it was.
"""

from __future__ import annotations

from typing import Any

import psycopg
from sqitch_support import deploy, sqitch, verify

Conn = psycopg.Connection[tuple[Any, ...]]

NAMES = ["升级二人工公司", "升级二学来公司", "升级二排队公司", "升级二新公司"]
PLANS = ["UPG2-PLAN-1", "UPG2-PLAN-UNKNOWN", None, None]


def fill_at_v021(conn: Conn) -> None:
    conn.execute(
        "SELECT enterprise.upsert_internal_mappings(%s, %s, %s)",
        (
            ["UPG2-PLAN-1", "UPG2-ACC-1", "升级二人工公司"],
            ["620000001", "620000002", "620000003"],
            ["plan", "account", "name"],
        ),
    )
    conn.execute("SELECT enterprise.cache_company_mapping('升级二学来公司', '620000005')")
    conn.execute("SELECT * FROM enterprise.resolve_company_ids(%s, %s, NULL, NULL)", (PLANS, NAMES))


def snapshot(conn: Conn) -> dict[str, Any]:
    return {
        "mappings": conn.execute(
            "SELECT alias_name, canonical_id, source, match_type, priority, lookup_key, confidence, eqc_type,"
            " updated_at FROM enterprise.company_mapping ORDER BY alias_name, match_type"
        ).fetchall(),
        "temp_ids": conn.execute("SELECT temp_key, temp_id FROM enterprise.temp_id_assignments ORDER BY 1").fetchall(),
        "requests": conn.execute(
            "SELECT id, name, normalized_name, status, attempts, outcome, company_id FROM enterprise.lookup_requests"
            " ORDER BY id"
        ).fetchall(),
        "answers": conn.execute(
            "SELECT company_id, status, source, match_type, temp_id, request_id"
            " FROM enterprise.preview_company_ids(%s, %s, NULL, NULL)",
            (PLANS, NAMES),
        ).fetchall(),
        "temp_seq": conn.execute("SELECT last_value FROM enterprise.temp_id_seq").fetchone(),
    }


def history_tables(conn: Conn) -> tuple[Any, ...] | None:
    return conn.execute(
        "SELECT to_regclass('enterprise.company_mapping_history') IS NOT NULL,"
        " to_regclass('enterprise.company_mapping_change_sets') IS NOT NULL"
    ).fetchone()


def test_upgrade_from_v021_adds_empty_history_and_changes_nothing_else(upgrade_db: tuple[str, str]) -> None:
    uri, target = upgrade_db
    deploy(target, "--to", "@v0.2.1")
    with psycopg.connect(uri, autocommit=True) as conn:
        fill_at_v021(conn)
        before = snapshot(conn)
        assert history_tables(conn) == (False, False)
    assert len(before["mappings"]) >= 4 and len(before["requests"]) == 2, before

    deploy(target)
    verify(target)
    with psycopg.connect(uri, autocommit=True) as conn:
        assert history_tables(conn) == (True, True)
        assert conn.execute(
            "SELECT (SELECT count(*) FROM enterprise.company_mapping_history),"
            " (SELECT count(*) FROM enterprise.company_mapping_change_sets)"
        ).fetchone() == (0, 0), "the history starts empty: the upgrade (and its verify scripts) recorded nothing"
        assert snapshot(conn) == before, "the upgrade lost or changed nothing"

        # HEAD's undo on the upgraded data: a load over a v0.2.1 row, reverted, gives the row back as it was.
        (change_set,) = conn.execute(
            "SELECT change_set FROM enterprise.upsert_internal_mappings(%s, %s, %s, label => 'after upgrade')",
            (["UPG2-PLAN-1", "升级二学来公司"], ["620000011", "620000012"], ["plan", "name"]),
        ).fetchone() or (None,)
        assert change_set is not None
        assert snapshot(conn) != before
        conn.execute("SELECT enterprise.revert_mapping_change_set(%s)", (change_set,))
        assert snapshot(conn) == before, "the revert restored the v0.2.1 rows, updated_at included"

    reverted = sqitch(target, "revert", "-y", "--to", "@v0.2.1")
    assert reverted.returncode == 0, reverted.stdout + reverted.stderr
    with psycopg.connect(uri, autocommit=True) as conn:
        assert history_tables(conn) == (False, False)
        assert snapshot(conn) == before
        loaded = conn.execute(
            "SELECT * FROM enterprise.upsert_internal_mappings(ARRAY['UPG2-PLAN-2'], ARRAY['620000021'], ARRAY['plan'])"
        ).fetchone()
        assert loaded == (1, 0, 0, 0), "v0.2.1's load works again after the revert"
