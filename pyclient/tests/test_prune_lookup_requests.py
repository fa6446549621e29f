"""prune_lookup_requests does work linear in the rows it deletes (SQL review, item 4).

Deterministic, no clocks: the statistics counters of the current transaction say how many tuples the call
read from the table and its indexes. A prune that walks its index again from the oldest entry on every batch
reads the entries it already deleted in the same transaction (they cannot be skipped until it commits):
n²/(2·batch) in all. A cursor on (completed_at, id) reads each entry once.
"""

from __future__ import annotations

import psycopg
from explain_support import auto_explained

Conn = psycopg.Connection[tuple[object, ...]]

# Tuples read from lookup_requests and each of its indexes in the current transaction.
VISITED = """
SELECT pg_stat_get_xact_tuples_returned('enterprise.lookup_requests'::regclass)
       + (SELECT COALESCE(sum(pg_stat_get_xact_tuples_returned(i.indexrelid)), 0)::bigint
            FROM pg_index AS i WHERE i.indrelid = 'enterprise.lookup_requests'::regclass)
"""


def load_old_done(conn: Conn, tag: str, rows: int, *, ties: int) -> None:
    """``rows`` done requests, 40 days old, ``ties`` of them sharing each completed_at; one in four not_found."""
    conn.execute(
        "INSERT INTO enterprise.lookup_requests (name, normalized_name, status, outcome, company_id, completed_at)"
        " SELECT %(tag)s || i, %(tag)s || i, 'done',"
        "        CASE WHEN i %% 4 = 0 THEN 'not_found' ELSE 'found' END,"
        "        CASE WHEN i %% 4 = 0 THEN NULL ELSE '800000000' END,"
        "        now() - interval '40 days' - (i / %(ties)s) * interval '1 second'"
        " FROM generate_series(1, %(rows)s) AS i",
        {"tag": tag, "rows": rows, "ties": ties},
    )
    conn.execute("ANALYZE enterprise.lookup_requests")


def prune_visits(db_uri: str, tag: str, rows: int, *, ties: int, batch: int) -> tuple[int, int]:
    """Load ``rows`` old done requests, prune them in batches of ``batch`` in one transaction.

    Returns (rows deleted, tuples read from the table and its indexes by the call).
    """
    with psycopg.connect(db_uri, autocommit=True) as setup:
        setup.execute("DELETE FROM enterprise.lookup_requests")
        load_old_done(setup, tag, rows, ties=ties)
        # A committed, vacuumed start: no dead entries of earlier tests in the index.
        setup.execute("VACUUM enterprise.lookup_requests")
    with psycopg.connect(db_uri) as conn:
        before = int(str(conn.execute(VISITED).fetchone()[0]))  # type: ignore[index]
        deleted = conn.execute(
            "SELECT enterprise.prune_lookup_requests(older_than => interval '30 days', batch_size => %s)", (batch,)
        ).fetchone()
        after = int(str(conn.execute(VISITED).fetchone()[0]))  # type: ignore[index]
        conn.commit()
    assert deleted is not None
    return int(str(deleted[0])), after - before


def test_prune_reads_each_row_a_bounded_number_of_times(db_uri: str, empty_queue: None, tag: str) -> None:
    rows, batch = 3_000, 10
    deleted, visited = prune_visits(db_uri, tag, rows, ties=50, batch=batch)
    assert deleted == rows
    # One index entry per row for the batch scans (the DELETE goes by tuple id): 3,000. The slack is for dead
    # entries an earlier test left in the range (a concurrent autoanalyze can keep VACUUM from removing them).
    # The old prune read about rows²/(2·batch) = 450,000 here (458,104).
    assert visited <= 4 * rows, f"{visited:,} tuples read to prune {rows:,} rows in batches of {batch}"


def test_prune_work_grows_linearly_even_when_every_row_shares_one_completed_at(
    db_uri: str, empty_queue: None, tag: str
) -> None:
    """Ties on completed_at, across every batch boundary: none lost, none deleted twice, none read again."""
    batch = 10
    small_deleted, small = prune_visits(db_uri, f"{tag}-s", 1_000, ties=1_000_000, batch=batch)
    large_deleted, large = prune_visits(db_uri, f"{tag}-l", 4_000, ties=1_000_000, batch=batch)
    assert (small_deleted, large_deleted) == (1_000, 4_000)
    # Linear: one per row, as above (the old prune: 810,804 for 4,000 rows, 52,704 for 1,000, 15x).
    assert large <= 4 * 4_000, f"{large:,} tuples read to prune 4,000 tied rows ({small:,} for 1,000)"
    assert large / small <= 6, f"4x the rows cost {large / small:.1f}x the tuples ({small:,} -> {large:,})"
    with psycopg.connect(db_uri) as conn:
        left = conn.execute("SELECT count(*) FROM enterprise.lookup_requests WHERE name LIKE %s", (f"{tag}%",))
        assert left.fetchone() == (0,)


def test_each_batch_scan_starts_at_the_cursor_in_the_index(db_uri: str, empty_queue: None, tag: str) -> None:
    """auto_explain shows the plan of the batch query inside prune_lookup_requests itself."""
    with psycopg.connect(db_uri, autocommit=True) as conn:
        load_old_done(conn, tag, 20_000, ties=50)
        plans, deleted = auto_explained(
            conn,
            "SELECT enterprise.prune_lookup_requests(older_than => interval '30 days', batch_size => 5000,"
            " max_rows => 10000)",
        )
    assert deleted == [(10_000,)]
    batch_plans = [p for p in plans if "Limit" in p and "lookup_requests" in p]
    assert batch_plans, f"auto_explain showed no batch plan: {plans!r}"
    plan = "\n".join(batch_plans)
    assert "Index Scan using lookup_requests_completed_id_idx" in plan, plan
    assert "Index Cond: ((ROW(completed_at, id) > ROW(" in plan, plan
    assert "Seq Scan on lookup_requests" not in plan, plan
    assert "Bitmap Heap Scan on lookup_requests" not in plan, plan
    assert "Tid Scan on lookup_requests q" in plan, plan
