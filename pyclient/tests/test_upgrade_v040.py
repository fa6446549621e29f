"""The upgrade from the release @v0.4.0 to HEAD (0.5: the settle writes its learned names itself; normalize_name's
decoration patterns are constants), as a DBA runs it.

In a database of its own: deploy @v0.4.0 and fill it (curated and learned mappings, names queued, three requests held
by a worker, TEMP ids); deploy HEAD and verify. Nothing changed (mappings to their updated_at, TEMP ids, requests,
answers, history, every name's key) but schema_version(). The worker that claimed under 0.4 settles under HEAD: a
new name is learned, a learned name with another id is updated, and the history records both. Reverting to
@v0.4.0 keeps what HEAD settled, gives the same keys, and 0.4's settle works again.
"""

from __future__ import annotations

from typing import Any

import psycopg
from company_enrichment import __version__
from psycopg.types.json import Jsonb
from sqitch_support import deploy, found, hold_requests, kept_state, schema_version, sqitch, verify

Conn = psycopg.Connection[tuple[Any, ...]]

NAMES = ["升级四人工公司", "升级四学来公司", "升级四新名公司", "升级四改号公司", "升级四未知公司", None]
PLANS = ["UPG4-PLAN-1", None, None, None, None, "UPG4-PLAN-UNKNOWN"]
# Names for the full rules of normalize_name: decorations at both ends, brackets, separators.
DECORATED = [
    "（已注销）升级四甲公司",
    "升级四乙公司-吊销",
    "【停业】-升级四丙公司（存续）",
    "已转出-升级四丁公司_注销",
    "升级四戊公司(已撤销)。",
    "升级四己公司 （清算中）",
]


def fill_at_v040(conn: Conn) -> dict[str, int]:
    """0.4 data; returns the ids of the requests a worker holds across the upgrade, by name."""
    held = hold_requests(
        conn,
        curated=("UPG4-PLAN-1", "升级四人工公司"),
        learned="升级四学来公司",
        ids=("640000001", "640000002", "640000003"),
        plans=PLANS,
        names=NAMES,
    )
    assert set(held) == {"升级四新名公司", "升级四改号公司", "升级四未知公司"}, held
    # Learned meanwhile under another id (another worker, or a DBA): the settle must update it.
    conn.execute("SELECT enterprise.cache_company_mapping('升级四改号公司', '640000009')")
    return held


def snapshot(conn: Conn) -> dict[str, Any]:
    return {
        **kept_state(conn, PLANS, NAMES),
        "keys": conn.execute(
            "SELECT array_agg(enterprise.normalize_name(n)) FROM unnest(%s::text[]) n", (DECORATED,)
        ).fetchone(),
    }


def test_upgrade_from_v040_changes_nothing_and_the_held_requests_settle_under_head(upgrade_db: tuple[str, str]) -> None:
    uri, target = upgrade_db
    deploy(target, "--to", "@v0.4.0")
    with psycopg.connect(uri, autocommit=True) as conn:
        held = fill_at_v040(conn)
        before = snapshot(conn)
        assert schema_version(conn) == "0.4.0"
    assert before["keys"] == (
        ["升级四甲公司", "升级四乙公司", "升级四丙公司", "升级四丁公司", "升级四戊公司", "升级四己公司"],
    )

    deploy(target)
    verify(target)
    with psycopg.connect(uri, autocommit=True) as conn:
        assert schema_version(conn) == __version__  # HEAD: 0.5.0 or a later release
        assert snapshot(conn) == before, "the upgrade lost or changed nothing (every name keeps its key)"

        # The worker that claimed under 0.4 settles under HEAD, with its own statement's UPSERT.
        settled = conn.execute(
            "SELECT normalized_name, status, outcome FROM enterprise.settle_lookups('upgrade-worker', %s, %s)"
            " ORDER BY normalized_name",
            (
                [held["升级四新名公司"], held["升级四改号公司"], held["升级四未知公司"]],
                [found("640000004", "升级四新名公司"), found("640000005", "升级四改号公司"), Jsonb([])],
            ),
        ).fetchall()
        assert settled == [
            ("升级四改号公司", "done", "found"),
            ("升级四新名公司", "done", "found"),
            ("升级四未知公司", "done", "not_found"),
        ]
        learned = conn.execute(
            "SELECT alias_name, canonical_id FROM enterprise.company_mapping WHERE source = 'EQC' ORDER BY alias_name"
        ).fetchall()
        assert learned == [
            ("升级四学来公司", "640000003"),
            ("升级四改号公司", "640000005"),
            ("升级四新名公司", "640000004"),
        ]
        history = conn.execute(
            "SELECT operation, alias_name, canonical_id_before, canonical_id_after"
            " FROM enterprise.company_mapping_history WHERE id > %s ORDER BY id",
            (max(r[0] for r in before["history"]),),
        ).fetchall()
        assert sorted(history) == [
            ("insert", "升级四新名公司", None, "640000004"),
            ("update", "升级四改号公司", "640000009", "640000005"),
        ]
        after_settle = snapshot(conn)

    reverted = sqitch(target, "revert", "-y", "--to", "@v0.4.0")
    assert reverted.returncode == 0, reverted.stdout + reverted.stderr
    verify(target)
    with psycopg.connect(uri, autocommit=True) as conn:
        assert schema_version(conn) == "0.4.0"
        assert snapshot(conn) == after_settle, "what HEAD settled stays as it was, and the keys are the same"
        assert conn.execute("SELECT to_regprocedure('enterprise._name_decoration_patterns()')").fetchone() == (None,)
        # 0.4's settle works again: a new name queued, claimed and learned.
        conn.execute("SELECT * FROM enterprise.resolve_company_ids(customer_names => ARRAY['升级四回退公司'])")
        (rid,) = conn.execute("SELECT id FROM enterprise.claim_lookups(10, 'upgrade-worker')").fetchone() or (None,)
        assert rid is not None
        assert conn.execute(
            "SELECT status, outcome FROM enterprise.settle_lookups('upgrade-worker', %s, %s)",
            ([rid], [found("640000006", "升级四回退公司")]),
        ).fetchall() == [("done", "found")]
        assert conn.execute(
            "SELECT canonical_id FROM enterprise.company_mapping WHERE alias_name = '升级四回退公司'"
        ).fetchone() == ("640000006",)
