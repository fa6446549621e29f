"""The cheaper queue paths of issue 12: the same answers as before, with less work.

- claim_lookups updates the rows it claims with one primary-key scan (it used to rescan the batch once per row);
- _settle_lookups skips normalize_name for an official name spelled as the queued name or as the key, and
  still learns an official name that is another key;
- _score_candidates scores a full name spelled as the key 1.00 before normalizing it, and a decorated
  spelling of the key still scores 1.00.
"""

from __future__ import annotations

from typing import Any

import psycopg
from explain_support import auto_explained
from psycopg.types.json import Jsonb

Conn = psycopg.Connection[tuple[Any, ...]]


def _enqueue(conn: Conn, names: list[str]) -> list[int]:
    rows = conn.execute(
        "SELECT request_id FROM enterprise.resolve_company_ids(customer_names => %s) ORDER BY ordinal", (names,)
    ).fetchall()
    return [int(r[0]) for r in rows]


def test_a_claim_reads_each_claimed_row_once_beside_many_settled_rows(db_uri: str, empty_queue: None, tag: str) -> None:
    with psycopg.connect(db_uri, autocommit=True) as conn:
        conn.execute(
            "INSERT INTO enterprise.lookup_requests (name, normalized_name, status, outcome, company_id, completed_at)"
            " SELECT %s || i, %s || i, 'done', 'found', '800000000', now() FROM generate_series(1, 20000) i",
            (f"{tag}-done-", f"{tag}-done-"),
        )
        ids = _enqueue(conn, [f"{tag}-待领-{i}" for i in range(60)])
        conn.execute("ANALYZE enterprise.lookup_requests")
        plans, rows = auto_explained(
            conn, "SELECT id, status FROM enterprise.claim_lookups(batch_size => 50, worker => 'speed')", analyze=True
        )
    assert len(rows) == 50 and {int(r[0]) for r in rows} <= set(ids)
    update = [p for p in plans if "Update on lookup_requests" in p and "LockRows" in p]
    assert update, f"auto_explain showed no claim plan: {plans!r}"
    plan = update[0]
    # One scan of the primary key for the whole batch, no join back to the claimed rows.
    pkey_scans = [line for line in plan.splitlines() if "Index Scan using lookup_requests_pkey" in line]
    assert len(pkey_scans) == 1 and "loops=1)" in pkey_scans[0], plan
    assert "Join Filter" not in plan, plan
    assert "lookup_requests_claim_idx" in plan, plan


def _settle(conn: Conn, worker: str, request_id: int, candidates: list[dict[str, Any]]) -> tuple[Any, ...]:
    row = conn.execute(
        "SELECT status, outcome, company_id, official_name FROM enterprise.settle_lookups(%s, %s::bigint[],"
        " %s::jsonb[]) WHERE id = %s",
        (worker, [request_id], [Jsonb(candidates)], request_id),
    ).fetchone()
    assert row is not None
    return tuple(row)


def test_official_names_are_learned_as_before(db_uri: str, empty_queue: None, tag: str) -> None:
    queued = f"{tag}甲乙科技有限公司"
    same_key = f"{tag}丙丁贸易有限公司"
    other = f"{tag}戊己物流有限公司"
    with psycopg.connect(db_uri, autocommit=True) as conn:
        key_of = {
            name: str(conn.execute("SELECT enterprise.normalize_name(%s)", (name,)).fetchone()[0])  # type: ignore[index]
            for name in (queued, same_key, other)
        }
        ids = _enqueue(conn, [queued, same_key, other])
        claimed = conn.execute("SELECT id FROM enterprise.claim_lookups(10, 'speed')").fetchall()
        assert {int(r[0]) for r in claimed} == set(ids)
        # 1. EQC's official name is the queued spelling: one learned row, the queued name.
        assert _settle(
            conn, "speed", ids[0], [{"companyId": "810000001", "companyFullName": queued, "type": "全称"}]
        ) == ("done", "found", "810000001", queued)
        # 2. EQC's name is a decorated spelling of the key: scores 1.00, and no second row for the same key.
        decorated = f" {same_key}（注销）"
        assert key_of[same_key] == conn.execute("SELECT enterprise.normalize_name(%s)", (decorated,)).fetchone()[0]  # type: ignore[index]
        assert _settle(
            conn, "speed", ids[1], [{"companyId": "810000002", "companyFullName": decorated, "type": "曾用名"}]
        ) == ("done", "found", "810000002", decorated.strip())
        # 3. EQC's name is another key, and the candidate's type alone would send it to review: the official
        #    name is learned at 1.00 beside the queued name, which gets the type's score.
        official = f"{tag}庚辛集团股份有限公司"
        score = conn.execute(
            "SELECT confidence FROM enterprise._score_candidates(%s::text[], %s::jsonb[])",
            ([key_of[other]], [Jsonb([{"companyId": "810000003", "companyFullName": official, "type": "全称"}])]),
        ).fetchone()
        assert score is not None
        conn.execute("UPDATE enterprise.queue_settings SET auto_accept_confidence = 0.00 WHERE singleton")
        try:
            assert _settle(
                conn, "speed", ids[2], [{"companyId": "810000003", "companyFullName": official, "type": "全称"}]
            ) == ("done", "found", "810000003", official)
        finally:
            conn.execute("UPDATE enterprise.queue_settings SET auto_accept_confidence = 0.80 WHERE singleton")
        learned = conn.execute(
            "SELECT alias_name, canonical_id, confidence FROM enterprise.company_mapping"
            " WHERE match_type = 'name' AND source = 'EQC' AND starts_with(alias_name, %s)"
            " ORDER BY canonical_id, alias_name",
            (tag,),
        ).fetchall()
    assert [tuple(r) for r in learned] == sorted(
        [
            (queued, "810000001", 1),
            (same_key, "810000002", 1),
            (other, "810000003", score[0]),
            (official, "810000003", 1),
        ],
        key=lambda r: (r[1], r[0]),
    )


def test_a_full_name_spelled_as_the_key_scores_as_its_normalized_form(db_uri: str) -> None:
    with psycopg.connect(db_uri, autocommit=True) as conn:
        key = str(conn.execute("SELECT enterprise.normalize_name('上海测评科技有限公司')").fetchone()[0])  # type: ignore[index]
        rows = conn.execute(
            "SELECT ordinal, rank, confidence FROM enterprise._score_candidates(%s::text[], %s::jsonb[])"
            " ORDER BY ordinal, rank",
            (
                [key, key],
                [
                    Jsonb([{"companyId": "1", "companyFullName": key, "type": "拼音"}]),
                    Jsonb(
                        [
                            {"companyId": "2", "companyFullName": f"  {key}（注销）", "type": "拼音"},
                            {"companyId": "3", "companyFullName": "别的公司", "type": None},
                        ]
                    ),
                ],
            ),
        ).fetchall()
        star = conn.execute("SELECT confidence FROM enterprise.eqc_match_scores WHERE eqc_type = '*'").fetchone()
    assert [(int(r[0]), int(r[1]), r[2]) for r in rows] == [
        (1, 1, 1),
        (2, 1, 1),
        (2, 2, star[0] if star else 0),
    ]
