"""The upgrade from the release @v0.5.0 to HEAD (0.5.1: the settle locks and updates the requests it settles with
one primary-key probe per answer), as a DBA runs it.

In a database of its own: deploy @v0.5.0 and fill it (curated and learned mappings, names queued, four requests held
by a worker, TEMP ids); deploy HEAD and verify. Nothing changed but schema_version(). The worker that claimed under
0.5.0 settles under HEAD, with what the rework touched: a request given twice (its first answer counts), a request
it does not hold (skipped, untouched), a request sent to review, and found and not found answers. Reverting to
@v0.5.0 keeps what HEAD settled, and 0.5.0's settle works again.
"""

from __future__ import annotations

import psycopg
from company_enrichment import __version__
from psycopg.types.json import Jsonb
from sqitch_support import (
    deploy,
    found,
    held_by_another_worker,
    hold_requests,
    kept_state,
    schema_version,
    settle_body,
    sqitch,
    verify,
)

NAMES = [
    "升级五人工公司",
    "升级五学来公司",
    "升级五新名公司",
    "升级五两次公司",
    "升级五待审公司",
    "升级五未知公司",
    None,
]
PLANS = ["UPG5-PLAN-1", None, None, None, None, None, "UPG5-PLAN-UNKNOWN"]
HELD = ["升级五新名公司", "升级五两次公司", "升级五待审公司", "升级五未知公司"]


#: What tells 0.5.1's settle body from 0.5.0's: the answers found by position.
BY_POSITION = "array_position(_settle_lookups.request_ids, q.id)"


def test_upgrade_from_v050_changes_nothing_and_the_held_requests_settle_under_head(upgrade_db: tuple[str, str]) -> None:
    uri, target = upgrade_db
    deploy(target, "--to", "@v0.5.0")
    with psycopg.connect(uri, autocommit=True) as conn:
        held = hold_requests(
            conn,
            curated=("UPG5-PLAN-1", "升级五人工公司"),
            learned="升级五学来公司",
            ids=("650000001", "650000002", "650000003"),
            plans=PLANS,
            names=NAMES,
        )
        assert sorted(held) == sorted(HELD), held
        # one more name queued and claimed by another worker: given to this worker's settle, it is skipped
        other = held_by_another_worker(conn, "升级五别人公司")
        before = kept_state(conn, PLANS, NAMES)
        assert schema_version(conn) == "0.5.0"

    deploy(target)
    verify(target)
    with psycopg.connect(uri, autocommit=True) as conn:
        assert schema_version(conn) == __version__  # HEAD: 0.5.1 or a later release
        assert BY_POSITION in settle_body(conn)
        assert kept_state(conn, PLANS, NAMES) == before, "the upgrade lost or changed nothing"

        ids = [
            held["升级五新名公司"],
            held["升级五两次公司"],
            held["升级五两次公司"],
            other,
            held["升级五待审公司"],
            held["升级五未知公司"],
        ]
        answers = [
            found("650000004", "升级五新名公司"),
            found("650000005", "升级五两次公司"),
            found("650000099", "升级五两次公司"),  # the same request again: its first answer counts
            found("650000098", "升级五别人公司"),  # not this worker's: skipped
            found("650000006", "别的名字有限公司", "曾用名"),  # a former name: scored below the bar, to review
            Jsonb([]),
        ]
        settled = conn.execute(
            "SELECT normalized_name, status, outcome, company_id"
            " FROM enterprise.settle_lookups('upgrade-worker', %s, %s) ORDER BY normalized_name",
            (ids, answers),
        ).fetchall()
        assert settled == sorted(
            [
                ("升级五两次公司", "done", "found", "650000005"),
                ("升级五待审公司", "review", None, None),
                ("升级五新名公司", "done", "found", "650000004"),
                ("升级五未知公司", "done", "not_found", None),
            ]
        )
        assert conn.execute(
            "SELECT status, lease_owner FROM enterprise.lookup_requests WHERE id = %s", (other,)
        ).fetchone() == ("processing", "other-worker")
        learned = conn.execute(
            "SELECT alias_name, canonical_id FROM enterprise.company_mapping WHERE source = 'EQC' ORDER BY alias_name"
        ).fetchall()
        assert learned == sorted(
            [("升级五学来公司", "650000003"), ("升级五两次公司", "650000005"), ("升级五新名公司", "650000004")]
        )
        after_settle = kept_state(conn, PLANS, NAMES)

    reverted = sqitch(target, "revert", "-y", "--to", "@v0.5.0")
    assert reverted.returncode == 0, reverted.stdout + reverted.stderr
    verify(target)
    with psycopg.connect(uri, autocommit=True) as conn:
        assert schema_version(conn) == "0.5.0"
        assert BY_POSITION not in settle_body(conn), "the revert put 0.5.0's settle back"
        assert kept_state(conn, PLANS, NAMES) == after_settle, "what HEAD settled stays as it was"
        # 0.5.0's settle works again: the other worker's request settles.
        assert conn.execute(
            "SELECT status, outcome FROM enterprise.settle_lookups('other-worker', %s, %s)",
            ([other], [found("650000007", "升级五别人公司")]),
        ).fetchall() == [("done", "found")]
        assert conn.execute(
            "SELECT canonical_id FROM enterprise.company_mapping WHERE alias_name = '升级五别人公司'"
        ).fetchone() == ("650000007",)
