"""A name settled by others while a batch was queuing it is not queued (and searched) again."""

from __future__ import annotations

import threading
import time
from typing import Any

import psycopg

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
