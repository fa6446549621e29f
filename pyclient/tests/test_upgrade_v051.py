"""The upgrade from the release @v0.5.1 to HEAD (0.5.2: EQC's candidates checked in one flat pass; the settle holds
the scored candidates as columns and writes settled and reviewed requests in one update), as a DBA runs it.

In a database of its own: deploy @v0.5.1 and fill it (curated and learned mappings, names queued, five requests held
by a worker, TEMP ids); deploy HEAD and verify. Nothing changed but schema_version(). The worker that claimed under
0.5.1 settles under HEAD, with what the rework touched: an answer of several candidates (the best learned, every one
remembered), one sent to review (its candidates kept, best first), a malformed answer (a failed attempt of its own,
the rest settled), and not found. Reverting to @v0.5.1 keeps what HEAD settled, and 0.5.1's settle works again (a
request another worker held across both).
"""

from __future__ import annotations

from decimal import Decimal

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
    "升级六人工公司",
    "升级六学来公司",
    "升级六多家公司",
    "升级六待审公司",
    "升级六坏答公司",
    "升级六未知公司",
    "升级六新名公司",
    None,
]
PLANS = ["UPG6-PLAN-1", None, None, None, None, None, None, "UPG6-PLAN-UNKNOWN"]
HELD = ["升级六多家公司", "升级六待审公司", "升级六坏答公司", "升级六未知公司", "升级六新名公司"]

#: What tells 0.5.2's settle body from 0.5.1's: the scored candidates held as columns.
AS_COLUMNS = "candidate AS MATERIALIZED"


def test_upgrade_from_v051_changes_nothing_and_the_held_requests_settle_under_head(upgrade_db: tuple[str, str]) -> None:
    uri, target = upgrade_db
    deploy(target, "--to", "@v0.5.1")
    with psycopg.connect(uri, autocommit=True) as conn:
        held = hold_requests(
            conn,
            curated=("UPG6-PLAN-1", "升级六人工公司"),
            learned="升级六学来公司",
            ids=("660000001", "660000002", "660000003"),
            plans=PLANS,
            names=NAMES,
        )
        assert sorted(held) == sorted(HELD), held
        # one more name, held by another worker across the upgrade: settled after the revert, by 0.5.1's settle
        other = held_by_another_worker(conn, "升级六别人公司")
        before = kept_state(conn, PLANS, NAMES)
        assert schema_version(conn) == "0.5.1"
        assert AS_COLUMNS not in settle_body(conn)

    deploy(target)
    verify(target)
    with psycopg.connect(uri, autocommit=True) as conn:
        assert schema_version(conn) == __version__  # HEAD: 0.5.2 or a later release
        assert AS_COLUMNS in settle_body(conn)
        assert kept_state(conn, PLANS, NAMES) == before, "the upgrade lost or changed nothing"

        ids = [held[name] for name in HELD[:4]] + [held["升级六新名公司"]]
        answers = [
            # several candidates: the one under the queued name (1.00) wins over EQC's first
            Jsonb(
                [
                    {"companyId": "660000010", "companyFullName": "升级六多家集团", "type": "模糊匹配"},
                    {"companyId": "660000011", "companyFullName": "升级六多家公司", "unite_code": "91U6"},
                ]
            ),
            found("660000012", "别的名字有限公司", "曾用名"),  # a former name: below the bar, to review
            Jsonb([{"companyFullName": "升级六坏答公司"}]),  # no companyId: a failed attempt of its own
            Jsonb([]),
            found("660000013", "升级六新名公司"),
        ]
        settled = conn.execute(
            "SELECT normalized_name, status, outcome, company_id"
            " FROM enterprise.settle_lookups('upgrade-worker', %s, %s) ORDER BY normalized_name",
            (ids, answers),
        ).fetchall()
        assert settled == sorted(
            [
                ("升级六多家公司", "done", "found", "660000011"),
                ("升级六待审公司", "review", None, None),
                ("升级六坏答公司", "pending", None, None),
                ("升级六未知公司", "done", "not_found", None),
                ("升级六新名公司", "done", "found", "660000013"),
            ]
        )
        row = conn.execute(
            "SELECT q.candidates, s.auto_accept_confidence"
            " FROM enterprise.lookup_requests AS q, enterprise.queue_settings AS s"
            " WHERE q.normalized_name = '升级六待审公司'"
        ).fetchone()
        assert row is not None
        review, threshold = row
        assert [{k: v for k, v in c.items() if k != "confidence"} for c in review] == [
            {"company_id": "660000012", "full_name": "别的名字有限公司", "unite_code": None, "eqc_type": "曾用名"}
        ], "kept for review: five fields, without EQC's raw object or rank"
        assert Decimal(str(review[0]["confidence"])) < threshold
        assert conn.execute(
            "SELECT company_id, unite_code, last_search_key FROM enterprise.eqc_companies"
            " WHERE company_id IN ('660000010', '660000011') ORDER BY company_id"
        ).fetchall() == [("660000010", None, "升级六多家公司"), ("660000011", "91U6", "升级六多家公司")]
        learned = conn.execute(
            "SELECT alias_name, canonical_id FROM enterprise.company_mapping"
            " WHERE source = 'EQC' AND alias_name LIKE '升级六%%' ORDER BY alias_name"
        ).fetchall()
        assert learned == sorted(
            [("升级六学来公司", "660000003"), ("升级六多家公司", "660000011"), ("升级六新名公司", "660000013")]
        )
        assert conn.execute(
            "SELECT status, attempts, last_error LIKE 'unusable EQC answer: an EQC candidate has no companyId%%'"
            " FROM enterprise.lookup_requests WHERE normalized_name = '升级六坏答公司'"
        ).fetchone() == ("pending", 1, True)
        after_settle = kept_state(conn, PLANS, NAMES)

    reverted = sqitch(target, "revert", "-y", "--to", "@v0.5.1")
    assert reverted.returncode == 0, reverted.stdout + reverted.stderr
    verify(target)
    with psycopg.connect(uri, autocommit=True) as conn:
        assert schema_version(conn) == "0.5.1"
        assert AS_COLUMNS not in settle_body(conn), "the revert put 0.5.1's settle back"
        assert kept_state(conn, PLANS, NAMES) == after_settle, "what HEAD settled stays as it was"
        # 0.5.1's settle works again: the other worker's request settles.
        assert conn.execute(
            "SELECT status, outcome FROM enterprise.settle_lookups('other-worker', %s, %s)",
            ([other], [found("660000014", "升级六别人公司")]),
        ).fetchall() == [("done", "found")]
        assert conn.execute(
            "SELECT canonical_id FROM enterprise.company_mapping WHERE alias_name = '升级六别人公司'"
        ).fetchone() == ("660000014",)
