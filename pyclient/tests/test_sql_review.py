"""SQL review findings that need several sessions, real time or the worker end to end.

Each test here failed before its fix (the SQL review issue names the items).
"""

from __future__ import annotations

import threading
import time

import psycopg
from company_enrichment.db import EnrichmentDB
from company_enrichment.eqc import EQCClient
from company_enrichment.models import CompanyRecord, ResolutionStatus
from company_enrichment.service import CompanyEnrichmentService
from company_enrichment.standin import EQCStandin
from explain_support import auto_explained

Conn = psycopg.Connection[tuple[object, ...]]


def _enqueue(conn: Conn, names: list[str]) -> list[int]:
    rows = conn.execute(
        "SELECT request_id FROM enterprise.resolve_company_ids(customer_names => %s) ORDER BY ordinal", (names,)
    ).fetchall()
    return [int(str(r[0])) for r in rows]


def _hold_for(db_uri: str, ids: list[int], *, renew: bool, seconds: float) -> set[int]:
    """Worker A holds ids under a 2 s lease for `seconds`, renewing every second when asked; meanwhile worker B
    claims every 0.2 s. Returns the ids B took over."""
    taken: set[int] = set()
    with psycopg.connect(db_uri, autocommit=True) as a, psycopg.connect(db_uri, autocommit=True) as b:
        claimed = a.execute(
            "SELECT id FROM enterprise.claim_lookups(batch_size => %s, worker => 'A', lease => interval '2 seconds')",
            (len(ids),),
        ).fetchall()
        assert sorted(int(str(r[0])) for r in claimed) == sorted(ids)
        started = time.monotonic()
        last_renewal = started
        while time.monotonic() - started < seconds:
            if renew and time.monotonic() - last_renewal >= 1.0:
                renewed = a.execute(
                    "SELECT * FROM enterprise.renew_lookup_leases(worker => 'A', request_ids => %s, "
                    "lease => interval '2 seconds')",
                    (ids,),
                ).fetchall()
                assert sorted(int(str(r[0])) for r in renewed) == sorted(ids)
                last_renewal = time.monotonic()
            rows = b.execute("SELECT id FROM enterprise.claim_lookups(batch_size => 50, worker => 'B')").fetchall()
            taken.update(int(str(r[0])) for r in rows)
            time.sleep(0.2)
    return taken


def test_a_renewed_lease_outlives_its_length_and_nobody_takes_it_over(db_uri: str, empty_queue: None, tag: str) -> None:
    with psycopg.connect(db_uri, autocommit=True) as conn:
        ids = _enqueue(conn, [f"{tag}-续租-{i}" for i in range(3)])
    assert _hold_for(db_uri, ids, renew=True, seconds=5.0) == set()
    with psycopg.connect(db_uri, autocommit=True) as conn:
        owners = conn.execute(
            "SELECT DISTINCT lease_owner, status FROM enterprise.lookup_requests WHERE id = ANY(%s)", (ids,)
        ).fetchall()
    assert owners == [("A", "processing")]


def test_without_renewal_another_worker_takes_the_requests_over(db_uri: str, empty_queue: None, tag: str) -> None:
    with psycopg.connect(db_uri, autocommit=True) as conn:
        ids = _enqueue(conn, [f"{tag}-不续租-{i}" for i in range(3)])
    assert _hold_for(db_uri, ids, renew=False, seconds=3.0) == set(ids)


def test_renewal_waits_for_a_concurrent_takeover_and_then_skips_the_request(
    db_uri: str, empty_queue: None, tag: str
) -> None:
    """A takeover and a renewal of one expired lease are serialized by the row lock: whoever comes second sees
    the other's result, so a worker never renews a request someone else now holds."""
    with psycopg.connect(db_uri, autocommit=True) as conn:
        (rid,) = _enqueue(conn, [f"{tag}-抢占"])
        conn.execute("SELECT id FROM enterprise.claim_lookups(batch_size => 1, worker => 'A')")
        conn.execute(
            "UPDATE enterprise.lookup_requests SET lease_expires_at = now() - interval '1 second' WHERE id = %s", (rid,)
        )
    renewed: list[object] = []
    with psycopg.connect(db_uri) as b, psycopg.connect(db_uri, autocommit=True) as a:
        assert b.execute(
            "SELECT count(*) FROM enterprise.claim_lookups(batch_size => 1, worker => 'B')"
        ).fetchone() == (1,)
        thread = threading.Thread(
            target=lambda: renewed.extend(
                a.execute(
                    "SELECT * FROM enterprise.renew_lookup_leases(worker => 'A', request_ids => %s)", ([rid],)
                ).fetchall()
            )
        )
        thread.start()
        time.sleep(0.3)
        assert thread.is_alive(), "the renewal must wait for the takeover's row lock"
        b.commit()
        thread.join(5)
    assert renewed == []


def test_a_new_name_probes_the_negative_cache_by_index_not_by_reading_every_recent_answer(
    db_uri: str, empty_queue: None, tag: str
) -> None:
    """SQL review item 1: the negative-cache EXISTS is one index probe per name. Before the fix, the settings
    subquery carried enable_seqscan's penalty into every per-name probe, so the planner read every not_found
    answer of the last 30 days into a hash on every call (290-320 ms with 1,000,000 of them)."""
    with psycopg.connect(db_uri, autocommit=True) as conn:
        conn.execute(
            "INSERT INTO enterprise.lookup_requests (name, normalized_name, status, outcome, completed_at)"
            " SELECT %s || i, %s || i, 'done', 'not_found', now() - (i %% 100) * interval '1 day' - interval '1 minute'"
            " FROM generate_series(1, 20000) i",
            (f"{tag}-nf-", f"{tag}-nf-"),
        )
        conn.execute("ANALYZE enterprise.lookup_requests")
        for sql in (
            "SELECT * FROM enterprise.resolve_company_id(customer_name => %s)",
            "SELECT * FROM enterprise.resolve_company_ids(customer_names => ARRAY[%s])",
            "SELECT * FROM enterprise.preview_company_ids(customer_names => ARRAY[%s])",
        ):
            plan = "\n".join(auto_explained(conn, sql, (f"{tag}-全新的名字",))[0])
            assert "lookup_requests_settled_name_idx" in plan, plan
            assert "hashed SubPlan" not in plan, plan
            # Not the (completed_at, id) index read over the window with the name as a filter (since the prune rework
            # that index is lookup_requests_completed_id_idx; the check named only the index it replaced).
            lines = plan.splitlines()
            for n, line in enumerate(lines):
                if "lookup_requests_completed" in line and "Scan" in line:
                    assert "normalized_name" not in " ".join(lines[n + 1 : n + 3]), plan


def test_long_spellings_are_learned_under_their_own_key_through_the_worker(
    db_uri: str, empty_queue: None, tag: str
) -> None:
    """SQL review item 2: a spelling over 255 characters whose key is not (a decoration, blanks) is queued cut to
    255 characters. Before the fix the worker cached the cut spelling under another key, so the name was queued
    and searched again forever; 255 tabs even raised "empty lookup key" and rolled back the whole batch."""
    long_key = f"{tag}{'甲' * (250 - len(tag))}有限公司"
    tabs_key = f"{tag}乙科技有限公司"
    spellings = [f"{long_key}（已注销）", "\t" * 300 + tabs_key, f"{tag}丙有限公司"]
    companies = [
        {"companyId": "760000001", "companyFullName": long_key},
        {"companyId": "760000002", "companyFullName": tabs_key},
        {"companyId": "760000003", "companyFullName": f"{tag}丙有限公司"},
    ]
    with (
        EnrichmentDB.connect(db_uri, max_size=2) as db,
        EQCStandin({"token": "t", "companies": companies}).start() as standin,
        EQCClient(standin.url, standin.token, retry_max=1, sleep=lambda _: None) as eqc,
    ):
        service = CompanyEnrichmentService(db, eqc)
        first = service.resolve_batch([CompanyRecord(customer_name=s) for s in spellings])
        assert [r.status for r in first] == [ResolutionStatus.PENDING_LOOKUP] * 3
        stats = service.process_lookup_queue()
        assert (stats.claimed, stats.found, stats.failed, stats.retried) == (3, 3, 0, 0)
        again = service.resolve_batch([CompanyRecord(customer_name=s) for s in spellings])
        assert [(r.status, r.company_id) for r in again] == [
            (ResolutionStatus.SUCCESS_EXTERNAL, "760000001"),
            (ResolutionStatus.SUCCESS_EXTERNAL, "760000002"),
            (ResolutionStatus.SUCCESS_EXTERNAL, "760000003"),
        ]
        assert service.process_lookup_queue().claimed == 0, "nothing was queued again"
        assert standin.stats().search_requests == 3, "one EQC search per name, ever"


def test_reviving_a_failed_request_in_a_batch_wakes_the_workers(db_uri: str, empty_queue: None, tag: str) -> None:
    """SQL review item 5: a failed request revived by resolve_company_ids (its name seen again after
    failed_retry_after) sent no NOTIFY, so workers only found it at their next poll."""
    name = f"{tag}-复活公司"
    with psycopg.connect(db_uri, autocommit=True) as conn, psycopg.connect(db_uri, autocommit=True) as listener:
        (rid,) = _enqueue(conn, [name])
        conn.execute(
            "UPDATE enterprise.lookup_requests SET status = 'failed', last_failed_at = now() - interval '8 days',"
            " last_error = 'EQC 503' WHERE id = %s",
            (rid,),
        )
        listener.execute("LISTEN enterprise_lookup")
        assert _enqueue(conn, [name]) == [rid], "the same request, revived"
        woken = list(listener.notifies(timeout=2.0, stop_after=1))
        status = conn.execute("SELECT status FROM enterprise.lookup_requests WHERE id = %s", (rid,)).fetchone()
    assert status == ("pending",)
    assert [n.channel for n in woken] == ["enterprise_lookup"]


def test_a_permit_is_booked_from_the_time_the_lock_was_taken(db_uri: str, tag: str) -> None:
    """SQL review item 5: acquire_eqc_permit read the clock before waiting for the bucket's row lock, so a
    session that waited booked the next slot from a stale time and the next permit came too early."""
    bucket = f"{tag}-bucket"
    with psycopg.connect(db_uri, autocommit=True) as conn:
        assert conn.execute("SELECT enterprise.acquire_eqc_permit(60, %s)", (bucket,)).fetchone() == (0,)
        conn.execute(
            "UPDATE enterprise.eqc_rate_limit SET next_allowed_at = now() - interval '1 minute' WHERE bucket = %s",
            (bucket,),
        )
    answers: list[float] = []
    with psycopg.connect(db_uri) as holder, psycopg.connect(db_uri, autocommit=True) as waiter:
        holder.execute("SELECT 1 FROM enterprise.eqc_rate_limit WHERE bucket = %s FOR UPDATE", (bucket,))
        thread = threading.Thread(
            target=lambda: answers.append(
                float(
                    str(
                        (waiter.execute("SELECT enterprise.acquire_eqc_permit(60, %s)", (bucket,)).fetchone() or [0])[0]
                    )
                )
            )
        )
        thread.start()
        time.sleep(1.5)  # the waiter waits for the lock longer than one slot (1 s at 60 a minute)
        assert thread.is_alive()
        holder.commit()
        thread.join(5)
        assert answers == [0.0], "the waiter gets its permit once the lock is free"
        wait = float(
            str((waiter.execute("SELECT enterprise.acquire_eqc_permit(60, %s)", (bucket,)).fetchone() or [0])[0])
        )
    # The waiter's slot runs one second from when it got the lock, so the next permit is still almost 1 s away;
    # booked from the stale time it would have been due already (0).
    assert 0.8 < wait <= 1.0, wait
