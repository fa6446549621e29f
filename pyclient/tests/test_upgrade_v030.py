"""The upgrade from the release @v0.3.0 to HEAD (0.4: the settle's durability is queue policy), as a DBA runs it.

In a database of its own: deploy @v0.3.0 and fill it (mappings, a changed queue policy, two requests queued and held
by a worker, TEMP ids); deploy HEAD and verify. The queue policy keeps every value the DBA set and gains
settle_synchronous_commit 'off'; nothing else changed (mappings to their updated_at, TEMP ids, requests, answers,
history). The worker that claimed under 0.3 settles under HEAD, and its transaction commits with the new policy.
Reverting to @v0.3.0 drops the column, gives back the 0.3 configure_lookup_queue, and leaves the rest as it was.
"""

from __future__ import annotations

from typing import Any

import psycopg
from sqitch_support import deploy, kept_state, sqitch, verify

Conn = psycopg.Connection[tuple[Any, ...]]

NAMES = ["升级三人工公司", "升级三学来公司", "升级三排队公司", "升级三待领公司", None]
PLANS = ["UPG3-PLAN-1", None, None, None, "UPG3-PLAN-UNKNOWN"]
POLICY = "SELECT max_attempts, default_lease, auto_accept_confidence FROM enterprise.queue_settings"


def fill_at_v030(conn: Conn) -> int:
    """0.3 data; returns the id of the request a worker holds across the upgrade."""
    conn.execute(
        "SELECT enterprise.upsert_internal_mappings(%s, %s, %s, label => 'before the upgrade')",
        (["UPG3-PLAN-1", "升级三人工公司"], ["630000001", "630000002"], ["plan", "name"]),
    )
    conn.execute("SELECT enterprise.cache_company_mapping('升级三学来公司', '630000003')")
    conn.execute("SELECT * FROM enterprise.configure_lookup_queue(max_attempts => 4, auto_accept_confidence => 0.9)")
    conn.execute("SELECT * FROM enterprise.resolve_company_ids(%s, %s, NULL, NULL)", (PLANS, NAMES))
    held = conn.execute(
        "SELECT id FROM enterprise.claim_lookups(10, 'upgrade-worker') WHERE normalized_name = '升级三待领公司'"
    ).fetchone()
    assert held is not None
    return int(held[0])


def snapshot(conn: Conn) -> dict[str, Any]:
    return {**kept_state(conn, PLANS, NAMES), "policy": conn.execute(POLICY).fetchone()}


def settle_column(conn: Conn) -> bool:
    row = conn.execute(
        "SELECT EXISTS (SELECT 1 FROM information_schema.columns WHERE table_schema = 'enterprise'"
        " AND table_name = 'queue_settings' AND column_name = 'settle_synchronous_commit')"
    ).fetchone()
    return bool(row and row[0])


def test_upgrade_from_v030_adds_the_settle_policy_and_changes_nothing_else(upgrade_db: tuple[str, str]) -> None:
    uri, target = upgrade_db
    deploy(target, "--to", "@v0.3.0")
    with psycopg.connect(uri, autocommit=True) as conn:
        held = fill_at_v030(conn)
        before = snapshot(conn)
        assert not settle_column(conn)
    assert before["policy"][0] == 4 and len(before["requests"]) == 2, before
    assert [r[3] for r in before["requests"]] == ["processing", "processing"], before["requests"]

    deploy(target)
    verify(target)
    with psycopg.connect(uri, autocommit=True) as conn:
        assert settle_column(conn)
        assert conn.execute("SELECT settle_synchronous_commit FROM enterprise.queue_settings").fetchone() == ("off",)
        assert snapshot(conn) == before, "the upgrade lost or changed nothing (the DBA's policy included)"

    # The worker that claimed under 0.3 settles under HEAD; its transaction commits with the queue's policy.
    with psycopg.connect(uri) as conn:
        conn.execute("SET synchronous_commit = on")
        settled = conn.execute(
            "SELECT status, outcome FROM enterprise.settle_lookups('upgrade-worker', %s, ARRAY['[]'::jsonb])", ([held],)
        ).fetchall()
        assert settled == [("done", "not_found")]
        assert conn.execute("SHOW synchronous_commit").fetchone() == ("off",)
        conn.commit()
        assert conn.execute("SHOW synchronous_commit").fetchone() == ("on",), "only that transaction"

    reverted = sqitch(target, "revert", "-y", "--to", "@v0.3.0")
    assert reverted.returncode == 0, reverted.stdout + reverted.stderr
    with psycopg.connect(uri, autocommit=True) as conn:
        assert not settle_column(conn)
        assert conn.execute(POLICY).fetchone() == before["policy"]
        row = conn.execute("SELECT status FROM enterprise.lookup_requests WHERE id = %s", (held,)).fetchone()
        assert row == ("done",), "what HEAD settled stays settled"
        # 0.3's configure_lookup_queue (seven parameters) is back and works
        assert conn.execute(
            "SELECT max_attempts FROM enterprise.configure_lookup_queue(5, NULL, NULL, NULL, NULL, NULL, NULL)"
        ).fetchone() == (5,)
