"""The lookup queue's SQL API under real concurrency (issue: the queue in plpgsql).

Workers here are threads, each with its own connection, calling the SQL
functions exactly as a worker in any language would.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import psycopg
import pytest
from explain_support import auto_explained

Conn = psycopg.Connection[tuple[object, ...]]


def enqueue_many(db_uri: str, names: list[str]) -> list[int]:
    with psycopg.connect(db_uri, autocommit=True) as conn:
        rows = conn.execute(
            "SELECT request_id FROM enterprise.resolve_company_ids(customer_names => %s) ORDER BY ordinal",
            (names,),
        ).fetchall()
    ids = [int(r[0]) for r in rows if r[0] is not None]
    assert len(ids) == len(names)
    return ids


def test_eight_workers_drain_twenty_thousand_requests_exactly_once(db_uri: str, empty_queue: None, tag: str) -> None:
    total = 20_000
    ids = enqueue_many(db_uri, [f"{tag}-公司-{i}" for i in range(total)])
    assert len(set(ids)) == total

    claims: list[tuple[str, int]] = []
    completions: list[tuple[str, int]] = []
    lock = threading.Lock()

    def worker(index: int) -> None:
        name = f"w{index}"
        with psycopg.connect(db_uri, autocommit=True) as conn:
            while True:
                batch = conn.execute(
                    "SELECT id FROM enterprise.claim_lookups(batch_size => 50, worker => %s)", (name,)
                ).fetchall()
                if not batch:
                    return
                with lock:
                    claims.extend((name, int(r[0])) for r in batch)
                for (request_id,) in batch:
                    conn.execute(
                        "SELECT enterprise.complete_lookup(request_id => %s, worker => %s, canonical_id => %s)",
                        (request_id, name, f"9{int(str(request_id)) % 100_000_000:08d}"),
                    )
                    with lock:
                        completions.append((name, int(str(request_id))))

    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(worker, range(8)))

    claimed_ids = Counter(request_id for _, request_id in claims)
    assert len(claimed_ids) == total, "every request was claimed"
    assert max(claimed_ids.values()) == 1, "no request was handed to two workers"
    assert Counter(request_id for _, request_id in completions) == Counter(ids), "each completed exactly once"
    assert len({worker for worker, _ in claims}) > 1, "the work was shared"
    with psycopg.connect(db_uri) as conn:
        row = conn.execute(
            "SELECT count(*) FILTER (WHERE status = 'done' AND outcome = 'found'),"
            " count(*) FILTER (WHERE status <> 'done') FROM enterprise.lookup_requests"
        ).fetchone()
        assert row == (total, 0), "nothing is left"
        cached = conn.execute(
            "SELECT count(*) FROM enterprise.company_mapping WHERE source = 'EQC' AND alias_name LIKE %s", (f"{tag}%",)
        ).fetchone()
        assert cached == (total,), "every answer was cached with its request"


def test_vanished_worker_requests_are_taken_over_and_its_late_completion_refused(
    db_uri: str, empty_queue: None, tag: str
) -> None:
    ids = enqueue_many(db_uri, [f"{tag}-消失-{i}" for i in range(30)])
    with psycopg.connect(db_uri, autocommit=True) as ghost:
        held = ghost.execute(
            "SELECT id FROM enterprise.claim_lookups(batch_size => 10, worker => 'ghost', lease => interval '1 second')"
        ).fetchall()
    held_ids = {int(str(r[0])) for r in held}
    assert len(held_ids) == 10
    # The ghost's connection is gone. Until its lease expires, nobody gets its requests.
    with psycopg.connect(db_uri, autocommit=True) as conn:
        early = conn.execute("SELECT id FROM enterprise.claim_lookups(batch_size => 500, worker => 'heir')").fetchall()
        assert {int(str(r[0])) for r in early} == set(ids) - held_ids
        for (request_id,) in early:
            conn.execute("SELECT enterprise.complete_lookup_not_found(%s, 'heir')", (request_id,))
        time.sleep(1.2)
        late = conn.execute(
            "SELECT id, attempts FROM enterprise.claim_lookups(batch_size => 500, worker => 'heir')"
        ).fetchall()
        assert {int(str(r[0])) for r in late} == held_ids, "the expired leases were claimed again"
        assert {int(str(r[1])) for r in late} == {2}
        for request_id, _ in late:
            conn.execute("SELECT enterprise.complete_lookup(%s, 'heir', '800000001')", (request_id,))
        for request_id in held_ids:
            with pytest.raises(psycopg.Error) as refused:
                conn.execute("SELECT enterprise.complete_lookup(%s, 'ghost', '800000002')", (request_id,))
            assert refused.value.diag.sqlstate == "CE001"
            assert refused.value.diag.message_primary == "lookup request is not held by this worker"
            assert refused.value.diag.message_hint is not None
        row = conn.execute(
            "SELECT count(*), count(*) FILTER (WHERE company_id = '800000001') FROM enterprise.lookup_requests"
            " WHERE id = ANY(%s) AND status = 'done'",
            (list(held_ids),),
        ).fetchone()
        assert row == (10, 10), "completed once, by the heir, and the ghost changed nothing"


def test_claim_query_uses_the_claim_index(db_uri: str, empty_queue: None, tag: str) -> None:
    """auto_explain shows the plan of the query inside claim_lookups itself."""
    with psycopg.connect(db_uri, autocommit=True) as conn:
        conn.execute(
            "INSERT INTO enterprise.lookup_requests (name, normalized_name, status, outcome, company_id, completed_at)"
            " SELECT %s || i, %s || i, 'done', 'found', '800000000', now() FROM generate_series(1, 20000) i",
            (f"{tag}-done-", f"{tag}-done-"),
        )
        enqueue_many(db_uri, [f"{tag}-due-{i}" for i in range(50)])
        conn.execute("ANALYZE enterprise.lookup_requests")
        plans, _ = auto_explained(conn, "SELECT * FROM enterprise.claim_lookups(batch_size => 10, worker => 'explain')")
    claim_plans = [p for p in plans if "FOR UPDATE SKIP LOCKED" in p or "LockRows" in p]
    assert claim_plans, f"auto_explain showed no claim plan: {plans!r}"
    plan = "\n".join(claim_plans)
    assert "lookup_requests_claim_idx" in plan, plan
    assert "Seq Scan on lookup_requests" not in plan, plan


def test_a_long_open_transaction_does_not_make_claims_wrong(db_uri: str, empty_queue: None, tag: str) -> None:
    ids = enqueue_many(db_uri, [f"{tag}-长事务-{i}" for i in range(2_000)])
    with psycopg.connect(db_uri) as old:
        # A report that has been reading for a while: its snapshot pins old row versions.
        old.execute("BEGIN ISOLATION LEVEL REPEATABLE READ")
        assert old.execute("SELECT count(*) FROM enterprise.lookup_requests").fetchone() == (2_000,)

        completed: list[int] = []
        lock = threading.Lock()

        def worker(index: int) -> None:
            with psycopg.connect(db_uri, autocommit=True) as conn:
                while batch := conn.execute(
                    "SELECT id FROM enterprise.claim_lookups(batch_size => 25, worker => %s)", (f"w{index}",)
                ).fetchall():
                    for (request_id,) in batch:
                        conn.execute("SELECT enterprise.complete_lookup_not_found(%s, %s)", (request_id, f"w{index}"))
                        with lock:
                            completed.append(int(str(request_id)))

        with ThreadPoolExecutor(max_workers=4) as pool:
            list(pool.map(worker, range(4)))
        # The old snapshot still sees the queue as it was ...
        assert old.execute("SELECT count(*) FROM enterprise.lookup_requests WHERE status = 'pending'").fetchone() == (
            2_000,
        )
        old.rollback()
    # ... while the workers settled every request exactly once.
    assert Counter(completed) == Counter(ids)


def test_enqueue_notifies_listeners(db_uri: str, empty_queue: None, tag: str) -> None:
    with psycopg.connect(db_uri, autocommit=True) as listener, psycopg.connect(db_uri, autocommit=True) as conn:
        listener.execute("LISTEN enterprise_lookup")
        conn.execute("SELECT enterprise.enqueue_lookup(%s)", (f"{tag}-通知",))
        conn.execute("SELECT enterprise.enqueue_lookup(%s)", (f"{tag}-通知",))  # existing: no new notification
        enqueue_many(db_uri, [f"{tag}-批-{i}" for i in range(3)] + [f"{tag}-批-0"])
        payloads = [n.payload for n in listener.notifies(timeout=2.0, stop_after=2)]
    assert payloads == ["1", "3"]
