"""The upgrade from the release @v0.1.0 to HEAD (v0.2.0: confidence, review, EQC companies), as a DBA runs it.

In a database of its own: deploy @v0.1.0 and fill it as v0.1 would (curated and learned mappings, queued, done,
not-found and failed requests, TEMP ids); deploy HEAD and verify; check that every mapping, TEMP id and request is
still there and every record resolves as before; revert to @v0.1.0 and check the same again.
"""

from __future__ import annotations

import time
from typing import Any

import psycopg
from company_enrichment import __version__
from sqitch_support import deploy, sqitch, verify

Conn = psycopg.Connection[tuple[Any, ...]]

# Records that exercise every answer v0.1 gives: curated kinds, learned, queued, failed, not found, TEMP ids.
RECORDS: list[tuple[str | None, str | None, str | None, str | None]] = [
    ("UPG-PLAN-1", None, None, None),
    (None, None, None, "UPG-ACC-1"),
    (None, "升级人工公司", None, None),
    (None, "（已注销）升级人工公司", None, None),
    (None, None, "升级账户名公司", None),
    (None, "升级学来公司", None, None),
    (None, "升级排队公司", None, None),
    (None, "升级失败公司", None, None),
    (None, "升级查无公司", None, None),
    (None, None, None, None),
    ("UPG-UNKNOWN-PLAN", None, None, None),
    ("FP0001", None, None, None),
]


def _columns(records: list[tuple[str | None, str | None, str | None, str | None]]) -> tuple[list[Any], ...]:
    return tuple([r[i] for r in records] for i in range(4))


def fill_at_v010(conn: Conn) -> None:
    conn.execute(
        "SELECT enterprise.upsert_internal_mappings(%s, %s, %s)",
        (
            ["UPG-PLAN-1", "UPG-ACC-1", "升级人工公司", "升级账户名公司"],
            ["610000001", "610000002", "610000003", "610000004"],
            ["plan", "account", "name", "account_name"],
        ),
    )
    conn.execute("SELECT enterprise.cache_company_mapping('升级学来公司', '610000005')")
    plans, names, account_names, accounts = _columns(RECORDS)
    conn.execute(
        "SELECT * FROM enterprise.resolve_company_ids(%s, %s, %s, %s)", (plans, names, account_names, accounts)
    )
    # v0.1's worker settles two of the queued names: one not found, one failed for good.
    for name, outcome in (("升级查无公司", "not_found"), ("升级失败公司", "failed")):
        (rid,) = conn.execute(
            "SELECT id FROM enterprise.claim_lookup("
            " (SELECT id FROM enterprise.lookup_requests WHERE normalized_name = %s), 'v010-worker')",
            (name,),
        ).fetchone() or (None,)
        assert rid is not None
        if outcome == "not_found":
            conn.execute("SELECT enterprise.complete_lookup_not_found(%s, 'v010-worker')", (rid,))
        else:
            conn.execute("SELECT enterprise.fail_lookup(%s, 'v010-worker', 'EQC 503', max_attempts => 1)", (rid,))


def snapshot(conn: Conn) -> dict[str, Any]:
    plans, names, account_names, accounts = _columns(RECORDS)
    return {
        "mappings": conn.execute(
            "SELECT alias_name, canonical_id, source, match_type, lookup_key FROM enterprise.company_mapping"
            " ORDER BY alias_name, match_type"
        ).fetchall(),
        "temp_ids": conn.execute(
            "SELECT temp_key, temp_id FROM enterprise.temp_id_assignments ORDER BY temp_key"
        ).fetchall(),
        "requests": conn.execute(
            "SELECT id, name, normalized_name, status, attempts, outcome, company_id, last_error"
            " FROM enterprise.lookup_requests ORDER BY id"
        ).fetchall(),
        "answers": conn.execute(
            "SELECT ordinal, company_id, status, source, match_type, temp_id, request_id"
            " FROM enterprise.preview_company_ids(%s, %s, %s, %s) ORDER BY ordinal",
            (plans, names, account_names, accounts),
        ).fetchall(),
        "temp_seq": conn.execute("SELECT last_value FROM enterprise.temp_id_seq").fetchone(),
    }


def test_upgrade_from_v010_keeps_every_mapping_request_and_answer(upgrade_db: tuple[str, str]) -> None:
    uri, target = upgrade_db
    deploy(target, "--to", "@v0.1.0")
    with psycopg.connect(uri, autocommit=True) as conn:
        fill_at_v010(conn)
        before = snapshot(conn)
    assert len(before["requests"]) == 3 and len(before["temp_ids"]) == 2, before
    assert {row[3] for row in before["requests"]} == {"pending", "done", "failed"}

    started = time.monotonic()
    deploy(target)
    verify(target)
    upgraded_in = time.monotonic() - started
    with psycopg.connect(uri, autocommit=True) as conn:
        assert snapshot(conn) == before, "the upgrade lost or changed nothing"
        assert conn.execute("SELECT enterprise.schema_version()").fetchone() == (__version__,)
        confidences = conn.execute(
            "SELECT source = 'internal', array_agg(DISTINCT confidence) FROM enterprise.company_mapping GROUP BY 1"
            " ORDER BY 1"
        ).fetchall()
        assert confidences == [(False, [None]), (True, [1])], "curated 1.00; learned before scoring: unknown"
        # v0.2's own answers work on the upgraded data: a pinyin answer for the queued name goes to review.
        (rid,) = conn.execute(
            "SELECT id FROM enterprise.claim_lookups(10, 'v020-worker') WHERE normalized_name = '升级排队公司'"
        ).fetchone() or (None,)
        assert rid is not None
        conn.execute(
            "SELECT * FROM enterprise.settle_lookups('v020-worker', ARRAY[%s]::bigint[], ARRAY[%s]::jsonb[])",
            (rid, '[{"companyId": "610000009", "companyFullName": "升级排队集团", "type": "拼音"}]'),
        )
        assert conn.execute("SELECT status FROM enterprise.lookup_requests WHERE id = %s", (rid,)).fetchone() == (
            "review",
        )
    print(f"\nupgrade @v0.1.0 -> HEAD with verify: {upgraded_in:.1f} s")

    reverted = sqitch(target, "revert", "-y", "--to", "@v0.1.0")
    assert reverted.returncode == 0, reverted.stdout + reverted.stderr
    with psycopg.connect(uri, autocommit=True) as conn:
        after = snapshot(conn)
        # The request that was under review is looked up again by v0.1, from the start.
        review_row = [r for r in after["requests"] if r[0] == rid]
        assert review_row and review_row[0][3:5] == ("pending", 0)
        assert [r for r in after["requests"] if r[0] != rid] == [r for r in before["requests"] if r[0] != rid]
        assert after["mappings"] == before["mappings"] and after["temp_ids"] == before["temp_ids"]
        assert after["answers"] == before["answers"] and after["temp_seq"] == before["temp_seq"]
        assert conn.execute("SELECT to_regprocedure('enterprise.schema_version()')").fetchone() == (None,)
