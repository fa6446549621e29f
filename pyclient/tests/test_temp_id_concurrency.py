"""TEMP ids under real concurrency: several connections at once, committed work.

These are the guarantees pgTAP cannot show inside one transaction: a sequence
never repeats across sessions, and sessions racing to resolve the same new
record agree on one id.
"""

from __future__ import annotations

import random
import threading
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import psycopg

WORKERS = 8


def run_concurrently(
    db_uri: str, job: Callable[[psycopg.Connection[tuple[object, ...]], int], list[str]]
) -> list[list[str]]:
    """Run job(conn, worker_index) on WORKERS connections released at the same moment."""
    barrier = threading.Barrier(WORKERS)

    def worker(index: int) -> list[str]:
        with psycopg.connect(db_uri, autocommit=True) as conn:
            barrier.wait(timeout=30)
            return job(conn, index)

    with ThreadPoolExecutor(max_workers=WORKERS) as pool:
        return list(pool.map(worker, range(WORKERS)))


def test_next_temp_id_never_repeats_across_connections(db_uri: str) -> None:
    per_worker = 400

    def mint(conn: psycopg.Connection[tuple[object, ...]], _: int) -> list[str]:
        ids = []
        for _ in range(per_worker):
            row = conn.execute("SELECT enterprise.next_temp_id()").fetchone()
            assert row is not None
            ids.append(str(row[0]))
        return ids

    results = run_concurrently(db_uri, mint)
    all_ids = [temp_id for ids in results for temp_id in ids]
    assert len(all_ids) == WORKERS * per_worker
    duplicates = [temp_id for temp_id, n in Counter(all_ids).items() if n > 1]
    assert duplicates == []
    assert all(temp_id.startswith("TEMP_") and temp_id[5:].isdigit() and len(temp_id) >= 11 for temp_id in all_ids)


def test_same_record_gets_one_temp_id_when_resolved_concurrently(db_uri: str, tag: str) -> None:
    keys = [f"{tag}-plan-{i}" for i in range(60)]

    def resolve(conn: psycopg.Connection[tuple[object, ...]], index: int) -> list[str]:
        order = keys[:]
        random.Random(index).shuffle(order)
        answers = {}
        for plan_code in order:
            row = conn.execute(
                "SELECT temp_id FROM enterprise.resolve_company_id(plan_code => %s)", (plan_code,)
            ).fetchone()
            assert row is not None
            answers[plan_code] = str(row[0])
        return [answers[k] for k in keys]

    results = run_concurrently(db_uri, resolve)
    # Every worker saw the same id for each key ...
    assert all(result == results[0] for result in results)
    # ... the keys got different ids ...
    assert len(set(results[0])) == len(keys)
    # ... and the database remembers exactly one id per key.
    with psycopg.connect(db_uri) as conn:
        row = conn.execute(
            "SELECT count(*), count(DISTINCT temp_id) FROM enterprise.temp_id_assignments WHERE temp_key LIKE %s",
            (f"%{tag}%",),
        ).fetchone()
    assert row == (len(keys), len(keys))


def test_concurrent_batches_agree_on_shared_keys(db_uri: str, tag: str) -> None:
    # Each worker resolves a batch that shares half its no-name records with
    # every other worker and repeats some within itself.
    shared = [f"{tag}-acct-shared-{i}" for i in range(200)]

    def resolve_batch(conn: psycopg.Connection[tuple[object, ...]], index: int) -> list[str]:
        own = [f"{tag}-acct-own-{index}-{i}" for i in range(200)]
        batch = shared + own + shared[:50]
        random.Random(index).shuffle(batch)
        rows = conn.execute(
            "SELECT ordinal, temp_id, status FROM enterprise.resolve_company_ids(account_numbers => %s)",
            (batch,),
        ).fetchall()
        assert [r[0] for r in rows] == list(range(1, len(batch) + 1))
        assert {r[2] for r in rows} == {"temp_assigned"}
        by_key: dict[str, str] = {}
        for key, (_, temp_id, _) in zip(batch, rows, strict=True):
            assert by_key.setdefault(key, str(temp_id)) == str(temp_id), "one id per key within a batch"
        return [by_key[k] for k in shared]

    results = run_concurrently(db_uri, resolve_batch)
    assert all(result == results[0] for result in results)
    with psycopg.connect(db_uri) as conn:
        row = conn.execute(
            "SELECT count(*), count(DISTINCT temp_id) FROM enterprise.temp_id_assignments WHERE temp_key LIKE %s",
            (f"%{tag}%",),
        ).fetchone()
    assert row == (200 + WORKERS * 200, 200 + WORKERS * 200)


def test_concurrent_batches_queue_each_name_once_without_deadlock(db_uri: str, tag: str) -> None:
    # Eight batches with the same new names in different orders: the inserts take their row locks in key
    # order, so no two batches can wait on each other in a cycle.
    names = [f"{tag}-并发公司-{i}" for i in range(300)]

    def resolve_batch(conn: psycopg.Connection[tuple[object, ...]], index: int) -> list[str]:
        batch = names[:]
        random.Random(index).shuffle(batch)
        rows = conn.execute(
            "SELECT request_id FROM enterprise.resolve_company_ids(customer_names => %s) ORDER BY ordinal", (batch,)
        ).fetchall()
        by_name = dict(zip(batch, (str(r[0]) for r in rows), strict=True))
        return [by_name[n] for n in names]

    results = run_concurrently(db_uri, resolve_batch)
    assert all(result == results[0] for result in results), "every batch got the same request for each name"
    assert len(set(results[0])) == len(names)
    with psycopg.connect(db_uri) as conn:
        row = conn.execute(
            "SELECT count(*) FROM enterprise.lookup_requests WHERE name LIKE %s", (f"{tag}%",)
        ).fetchone()
    assert row == (len(names),)
