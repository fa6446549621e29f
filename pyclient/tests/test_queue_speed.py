"""The cheaper queue paths of issue 12: the same answers as before, with less work.

- claim_lookups updates the rows it claims with one primary-key scan (it used to rescan the batch once per row);
- _settle_lookups locks the requests it settles through the primary key alone, whatever plan a small queue gave,
  and matches them to their answers by position (0.5 read every answer again for each row: a join filter);
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
from sqitch_support import deploy

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


def test_a_settle_planned_on_a_small_queue_reads_only_its_batch_once_the_queue_grows(
    db_uri: str, empty_queue: None, tag: str
) -> None:
    """A worker's session plans the settle once (generic plans), maybe while the queue is small. Since 0.5.1 the
    held requests are locked through the primary key alone ("= ANY" and a status test no partial index can serve)
    and matched to their answers by position. Planned on 120 requests, 0.5.0 read the whole of
    lookup_requests_active_name_key once 20,000 more were queued, and compared every answer with every locked row
    (a join filter: 2,450 pairs for 50); a draft of 0.5.1 that joined the answers to the table by key read the
    whole active index in the lock and the whole primary key in the update. Every scan of lookup_requests in the
    settle must read the batch and no more."""
    with psycopg.connect(db_uri, autocommit=True) as admin, psycopg.connect(db_uri, autocommit=True) as worker:
        admin.execute("ALTER TABLE enterprise.lookup_requests SET (autovacuum_enabled = false)")
        try:
            _enqueue(admin, [f"{tag}-小队列-{i}" for i in range(120)])
            admin.execute("ANALYZE enterprise.lookup_requests")

            def settle(*, explain: bool) -> tuple[list[int], list[str], list[tuple[Any, ...]]]:
                claimed = worker.execute("SELECT id, name FROM enterprise.claim_lookups(50, 'speed')").fetchall()
                assert len(claimed) == 50
                ids = [int(r[0]) for r in claimed]
                # every answer found but the last: EQC knows nothing of it
                answers = [Jsonb([{"companyId": f"78{i:07d}", "companyFullName": str(n)}]) for i, n in claimed[:-1]]
                answers.append(Jsonb([]))
                sql = "SELECT id, status, outcome FROM enterprise.settle_lookups('speed', %s::bigint[], %s::jsonb[])"
                if explain:
                    return ids, *auto_explained(worker, sql, (ids, answers), analyze=True)
                return ids, [], worker.execute(sql, (ids, answers)).fetchall()

            settle(explain=False)  # the plans are made on a queue of 120
            settle(explain=False)
            admin.execute(
                "INSERT INTO enterprise.lookup_requests (name, normalized_name)"
                " SELECT %s || i, %s || i FROM generate_series(1, 20000) i",
                (f"{tag}-大队列-", f"{tag}-大队列-"),
            )
            ids, plans, rows = settle(explain=True)
        finally:
            admin.execute("ALTER TABLE enterprise.lookup_requests RESET (autovacuum_enabled)")
    assert sorted(rows) == sorted([(i, "done", "found") for i in ids[:-1]] + [(ids[-1], "done", "not_found")])

    lock = [p for p in plans if "locked AS MATERIALIZED" in p and "LockRows" in p]
    assert lock, f"auto_explain showed no lock plan: {plans!r}"
    assert "Index Cond: (id = ANY" in lock[0], lock[0]
    assert "Join Filter" not in lock[0], lock[0]
    settle_plan = [p for p in plans if "firsts AS MATERIALIZED" in p]
    assert settle_plan, f"auto_explain showed no settle plan: {plans!r}"
    for plan in (lock[0], settle_plan[0]):
        # Every index read on lookup_requests is its primary key, and reads the batch (its 50 rows, and the
        # versions the claim and the settle left of them), never the 20,000 queued beside it.
        for line in plan.splitlines():
            if ("Index Scan using" in line or "Bitmap Index Scan on" in line) and "lookup_requests" in line:
                assert "lookup_requests_pkey" in line, f"a scan of another index:\n{plan}"
                if "never executed" in line:  # the review update, with nothing to review
                    continue
                read = int(line.split("actual rows=")[1].split()[0])
                assert "lookup_requests_pkey" in line and read <= 150, f"a scan beyond the batch:\n{plan}"


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


def test_the_settle_learns_each_name_with_index_probes_beside_many_mappings(upgrade_db: tuple[str, str]) -> None:
    """Since 0.5 the settle writes its learned names in its own statement (no _cache_learned_mappings call). Its
    plan is made once per session, and a worker's session may make it while the mapping table is small: it must
    still cost index probes per key, and update a learned row with another id by tuple id, once the table holds
    5,000 curated and 5,000 learned names. A first draft of the rework hashed every curated name and scanned every
    learned one there, and settled three times slower. The answers: another id updated, curated rows untouched,
    new names inserted."""
    uri, target = upgrade_db
    deploy(target)
    names = [f"写入-{i}" for i in range(40)]
    with psycopg.connect(uri, autocommit=True) as admin, psycopg.connect(uri, autocommit=True) as worker:
        admin.execute("ALTER TABLE enterprise.company_mapping SET (autovacuum_enabled = false)")
        ids = _enqueue(admin, names)
        admin.execute("ANALYZE enterprise.company_mapping")

        name_of = dict(zip(ids, names, strict=True))

        def settle(*, explain: bool) -> tuple[list[int], list[str], list[tuple[Any, ...]]]:
            batch = [int(r[0]) for r in worker.execute("SELECT id FROM enterprise.claim_lookups(20, 'speed')")]
            assert len(batch) == 20
            answers = [
                Jsonb([{"companyId": f"79{i:07d}", "companyFullName": name_of[i], "type": "全称精确匹配"}])
                for i in batch
            ]
            sql = "SELECT status, outcome FROM enterprise.settle_lookups('speed', %s::bigint[], %s::jsonb[])"
            if explain:
                return batch, *auto_explained(worker, sql, (batch, answers), analyze=True)
            return batch, [], worker.execute(sql, (batch, answers)).fetchall()

        # The worker's session plans the settle while the table is empty ...
        first, _, rows = settle(explain=False)
        assert rows == [("done", "found")] * 20
        # ... then the table grows, and some names still queued become known: learned under another id, curated.
        waiting = sorted(name_of[i] for i in ids if i not in first)
        other_id, curated = waiting[:5], waiting[5:10]
        admin.execute(
            "SELECT enterprise.upsert_internal_mappings(array_agg('人工' || i),"
            " array_agg('7' || lpad(i::text, 8, '0')), array_agg('name'::text)) FROM generate_series(1, 5000) i"
        )
        admin.execute(
            "INSERT INTO enterprise.company_mapping (alias_name, canonical_id, source, match_type, priority)"
            " SELECT '学到' || i, '6' || lpad(i::text, 8, '0'), 'EQC', 'name', 4 FROM generate_series(1, 5000) i"
            " UNION ALL SELECT n, '500000000', 'EQC', 'name', 4 FROM unnest(%s::text[]) n",
            (other_id,),
        )
        admin.execute(
            "SELECT enterprise.upsert_internal_mappings(%s::text[], array_fill('400000000'::text, ARRAY[5]),"
            " array_fill('name'::text, ARRAY[5]))",
            (curated,),
        )
        _, plans, rows = settle(explain=True)
        assert rows == [("done", "found")] * 20
        learned = admin.execute(
            "SELECT alias_name, canonical_id, source FROM enterprise.company_mapping"
            " WHERE alias_name = ANY (%s) ORDER BY alias_name, source",
            (names,),
        ).fetchall()
    expected = {name_of[i]: (f"79{i:07d}", "EQC") for i in ids}
    for name in curated:
        expected[name] = ("400000000", "internal")
    assert sorted(learned) == sorted((a, c, s) for a, (c, s) in expected.items())

    settle_plans = [p for p in plans if "firsts AS MATERIALIZED" in p]
    assert settle_plans, f"auto_explain showed no settle plan: {plans!r}"
    plan = settle_plans[0]
    assert "hashed SubPlan" not in plan, plan
    assert "Seq Scan on company_mapping" not in plan, plan
    lines = plan.splitlines()
    for n, line in enumerate(lines):
        if ("Index Scan" in line or "Index Only Scan" in line) and " on company_mapping " in line:
            assert "lookup_key = " in lines[n + 1], f"a company_mapping scan that is no per-key probe:\n{plan}"
    assert "Tid Scan on company_mapping" in plan, plan
