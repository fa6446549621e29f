"""A name settled by others while a batch was queuing it is not queued (and searched) again."""

from __future__ import annotations

import threading
import time
from typing import Any

import psycopg
from explain_support import auto_explained

RESOLVE = (
    "SELECT ordinal, status, request_id FROM enterprise.resolve_company_ids(customer_names => %s) ORDER BY ordinal"
)


def test_a_name_settled_while_a_batch_waited_is_not_queued_again(db_uri: str, empty_queue: None, tag: str) -> None:
    """Batch A decides from its snapshot to queue X and Y, then waits on B's uncommitted insert of Y (concurrent
    batches with overlapping names do this all the time). Meanwhile X is queued, looked up and settled by others.
    Before the fix A then queued X a second time, and X was searched in EQC twice (seen under load as 242 found
    requests for 240 names)."""
    x, y = f"{tag}-zz-乙公司", f"{tag}-aa-甲公司"  # A inserts in key order: Y, then X
    answer: list[tuple[Any, ...]] = []
    with psycopg.connect(db_uri) as b, psycopg.connect(db_uri, autocommit=True) as a:
        b.execute(RESOLVE, ([y],))  # holds Y's new request, uncommitted

        thread = threading.Thread(target=lambda: answer.extend(a.execute(RESOLVE, ([y, x],)).fetchall()))
        thread.start()
        time.sleep(0.5)
        assert thread.is_alive(), "batch A waits on B's insert of Y"

        with psycopg.connect(db_uri, autocommit=True) as c:
            ((_, _, x_id),) = c.execute(RESOLVE, ([x],)).fetchall()
            assert c.execute("SELECT count(*) FROM enterprise.claim_lookup(%s, 'w')", (x_id,)).fetchone() == (1,)
            settled = c.execute(
                "SELECT status FROM enterprise.complete_lookups('w', ARRAY[%s]::bigint[], ARRAY['700000001'])", (x_id,)
            ).fetchall()
            assert settled == [("done",)]
        b.commit()
        thread.join(10)
        assert not thread.is_alive()

    with psycopg.connect(db_uri, autocommit=True) as conn:
        requests = conn.execute(
            "SELECT id, status FROM enterprise.lookup_requests WHERE normalized_name = enterprise.normalize_name(%s)",
            (x,),
        ).fetchall()
    assert requests == [(x_id, "done")], "X is queued once, by the session that settled it"
    assert answer[1] == (2, "pending_lookup", x_id), "batch A answers with the settled request"


PAUSE_LOCK = 716_240_001  # advisory lock key the pause trigger waits on


def test_a_name_settled_while_its_insert_waited_on_the_unique_index_takes_that_answer(
    db_uri: str, empty_queue: None, tag: str
) -> None:
    """Batch S decides from its snapshot to queue X and passes the insert-time check (nothing settled yet); then,
    before its insert reaches the unique index, X is queued by B, claimed and settled. The insert finds no live
    request to conflict with, so X is queued again: before the fix a second pending request, searched in EQC a
    second time (seen under load as 213 requests for 212 names). The pause between the insert-time check and the
    index is a test trigger that waits on an advisory lock, standing for the wait on a concurrent insert.
    Now the request S queued is settled at the end of S's statement with X's answer, attempts 0."""
    x = f"{tag}-答复期间公司"
    answer: list[tuple[Any, ...]] = []
    with psycopg.connect(db_uri, autocommit=True) as admin:
        admin.execute(
            "CREATE FUNCTION public.ce_test_pause_insert() RETURNS trigger LANGUAGE plpgsql"
            " SET search_path = pg_catalog, pg_temp AS $$ BEGIN"
            "   IF pg_catalog.current_setting('ce_test.pause_insert', true) = 'on' THEN"
            f"     PERFORM pg_catalog.pg_advisory_xact_lock_shared({PAUSE_LOCK});"
            "   END IF; RETURN NEW; END $$"
        )
        # BEFORE triggers fire in name order: after lookup_requests_skip_settled, before the index.
        admin.execute(
            "CREATE TRIGGER lookup_requests_zz_test_pause BEFORE INSERT ON enterprise.lookup_requests"
            " FOR EACH ROW EXECUTE FUNCTION public.ce_test_pause_insert()"
        )
    try:
        with psycopg.connect(db_uri, autocommit=True) as gate, psycopg.connect(db_uri, autocommit=True) as s:
            gate.execute("SELECT pg_advisory_lock(%s)", (PAUSE_LOCK,))
            s.execute("SET ce_test.pause_insert = 'on'")
            s_pid = s.info.backend_pid
            thread = threading.Thread(target=lambda: answer.extend(s.execute(RESOLVE, ([x],)).fetchall()))
            thread.start()
            deadline = time.monotonic() + 30
            waiting = "SELECT EXISTS (SELECT 1 FROM pg_locks WHERE pid = %s AND locktype = 'advisory' AND NOT granted)"
            while gate.execute(waiting, (s_pid,)).fetchone() != (True,):
                assert time.monotonic() < deadline, "S reaches its insert of X"
                time.sleep(0.02)

            with psycopg.connect(db_uri, autocommit=True) as b:
                ((_, status, x_id),) = b.execute(RESOLVE, ([x],)).fetchall()
                assert status == "pending_lookup"
                assert b.execute("SELECT count(*) FROM enterprise.claim_lookup(%s, 'w')", (x_id,)).fetchone() == (1,)
                assert b.execute(
                    "SELECT status FROM enterprise.complete_lookup_not_found(%s, 'w')", (x_id,)
                ).fetchone() == ("done",)
            gate.execute("SELECT pg_advisory_unlock(%s)", (PAUSE_LOCK,))
            thread.join(30)
            assert not thread.is_alive()
    finally:
        with psycopg.connect(db_uri, autocommit=True) as admin:
            admin.execute("DROP TRIGGER IF EXISTS lookup_requests_zz_test_pause ON enterprise.lookup_requests")
            admin.execute("DROP FUNCTION IF EXISTS public.ce_test_pause_insert()")

    with psycopg.connect(db_uri, autocommit=True) as conn:
        requests = conn.execute(
            "SELECT id, status, outcome, attempts, completed_at FROM enterprise.lookup_requests"
            " WHERE normalized_name = enterprise.normalize_name(%s) ORDER BY id",
            (x,),
        ).fetchall()
        assert conn.execute("SELECT count(*) FROM enterprise.claim_lookups(10, 'w2')").fetchone() == (0,)
    assert len(requests) == 2, "S's insert did go through (the race happened)"
    # S's id is the lower one: an identity value is drawn before the BEFORE triggers run.
    (searched,) = [r for r in requests if r[0] == x_id]
    (copied,) = [r for r in requests if r[0] != x_id]
    assert searched[:4] == (x_id, "done", "not_found", 1)
    assert copied[1:] == ("done", "not_found", 0, searched[4]), "S's request took X's answer, never searched"
    assert answer == [(1, "pending_lookup", copied[0])], "S answers with the request it queued"


def test_the_settled_meanwhile_checks_probe_the_name_index_however_many_were_settled(
    db_uri: str, empty_queue: None, tag: str
) -> None:
    """The insert-time check and _settled_since ask "was this name settled since the statement began?". Written as
    status = 'done', the planner answered it from the (completed_at, id) index: every request settled since the
    statement began, read for every new name (0.5 ms a name with 2,000 settled meanwhile). They probe the name
    index. Requests settled "meanwhile" are stood for by 2,000 done requests completed in the future."""
    with psycopg.connect(db_uri, autocommit=True) as conn:
        settle = (
            "INSERT INTO enterprise.lookup_requests (name, normalized_name, status, outcome, completed_at)"
            " SELECT n, n, 'done', 'not_found', now() + %s::interval"
            " FROM (SELECT %s || g AS n FROM generate_series(1, 2000) AS g) AS s"
        )
        # The statistics know the requests settled before; those settled since are newer than anything they know.
        conn.execute(settle, ("-1 day", f"{tag}-before-"))
        conn.execute("ANALYZE enterprise.lookup_requests")
        conn.execute(settle, ("1 hour", f"{tag}-meanwhile-"))
        plans, rows = auto_explained(conn, RESOLVE, ([f"{tag}-新名甲", f"{tag}-新名乙"],))
        assert [r[1] for r in rows] == ["pending_lookup", "pending_lookup"]
        check = [p for p in plans if "NEW.normalized_name" in p]
        assert check, plans
        assert all("lookup_requests_settled_name_idx" in p and "completed_id_idx" not in p for p in check), check

        plans, rows = auto_explained(
            conn, "SELECT enterprise._settled_since(%s, statement_timestamp())", (f"{tag}-meanwhile-7",)
        )
        assert rows[0][0] is not None, "the request settled \"meanwhile\" is found"
        probe = [p for p in plans if "_settled_since.normalized_name" in p]
        assert probe and all("lookup_requests_settled_name_idx" in p and "completed_id_idx" not in p for p in probe), (
            plans
        )
