"""EQC faults through the stand-in (issue 6): for each fault, the end state of the lookup request (status,
attempts, next_attempt_at, last_error) and of enterprise.company_mapping, after the real worker path
(CompanyEnrichmentService.process_lookup_queue with a real EQCClient over loopback HTTP)."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import psycopg
import pytest
from company_enrichment.db import EnrichmentDB
from company_enrichment.eqc import EQCClient
from company_enrichment.models import QueueRunStats, ResolutionStatus
from company_enrichment.ratelimit import DatabaseRateLimiter
from company_enrichment.service import CompanyEnrichmentService
from company_enrichment.standin import EQCStandin, Fault

COMPANIES = 30


@dataclass(frozen=True)
class Request:
    id: int
    status: str
    attempts: int
    outcome: str | None
    company_id: str | None
    last_error: str | None
    next_attempt_at: datetime
    lease_owner: str | None
    db_now: datetime


@dataclass
class Rig:
    db_uri: str
    db: EnrichmentDB
    standin: EQCStandin
    tag: str
    sleeps: list[float]

    def known(self, i: int) -> str:
        return f"{self.tag}故障{i}有限公司"

    def company_id(self, i: int) -> str:
        return f"7{20000000 + i}"

    def unknown(self, i: int) -> str:
        return f"{self.tag}无名{i}商行"

    def client(self, *, retry_max: int = 0, timeout: float = 5.0, base_url: str | None = None) -> EQCClient:
        return EQCClient(
            base_url or self.standin.url,
            self.standin.token,
            timeout=timeout,
            retry_max=retry_max,
            sleep=self.sleeps.append,
            rate_limiter=DatabaseRateLimiter(self.db, 60_000, bucket=f"faults-{self.tag}"),
        )

    def service(self, eqc: EQCClient, **kwargs: Any) -> CompanyEnrichmentService:
        return CompanyEnrichmentService(self.db, eqc, **kwargs)

    def run(self, eqc: EQCClient, **kwargs: Any) -> QueueRunStats:
        with eqc:
            return self.service(eqc, **kwargs).process_lookup_queue(batch_size=10)

    def enqueue(self, *names: str) -> list[int]:
        return [self.db.enqueue_lookup(n).id for n in names]

    def key(self, name: str) -> str:
        (normalized,) = self.db.normalize_names([name])
        assert normalized is not None
        return normalized

    def request(self, request_id: int) -> Request:
        with psycopg.connect(self.db_uri) as conn:
            row = conn.execute(
                "SELECT id, status, attempts, outcome, company_id, last_error, next_attempt_at, lease_owner, now()"
                " FROM enterprise.lookup_requests WHERE id = %s",
                (request_id,),
            ).fetchone()
        assert row is not None
        return Request(*row)

    def mappings(self, name: str) -> list[tuple[str, str]]:
        with psycopg.connect(self.db_uri) as conn:
            rows = conn.execute(
                "SELECT canonical_id, source FROM enterprise.company_mapping"
                " WHERE match_type = 'name' AND lookup_key = enterprise.normalize_name(%s)",
                (name,),
            ).fetchall()
        return [(str(a), str(b)) for a, b in rows]

    def searches(self, name: str) -> int:
        return self.standin.stats().search_key_counts.get(self.key(name), 0)


@pytest.fixture
def rig(db_uri: str, empty_queue: None, tag: str) -> Iterator[Rig]:
    companies = [
        {"companyId": f"7{20000000 + i}", "companyFullName": f"{tag}故障{i}有限公司", "unite_code": f"91{i:016d}"}
        for i in range(COMPANIES)
    ]
    with (
        EnrichmentDB.connect(db_uri, max_size=4) as db,
        EQCStandin({"token": "fault-token", "companies": companies}).start() as standin,
    ):
        yield Rig(db_uri=db_uri, db=db, standin=standin, tag=tag, sleeps=[])


def assert_backoff(request: Request, low: float, high: float) -> None:
    delay = (request.next_attempt_at - request.db_now).total_seconds()
    assert low <= delay <= high, f"next attempt in {delay:.1f} s, expected {low}..{high}"


def test_429_with_retry_after_sets_the_next_attempt_to_retry_after(rig: Rig) -> None:
    (rid,) = rig.enqueue(rig.known(1))
    rig.standin.inject(Fault(kind="429", retry_after=120, times=1))
    stats = rig.run(rig.client(retry_max=0))
    assert (stats.claimed, stats.retried, stats.found) == (1, 1, 0)
    request = rig.request(rid)
    assert (request.status, request.attempts, request.lease_owner) == ("pending", 1, None)
    assert request.last_error is not None and request.last_error.startswith("EQC rate limit:")
    assert "HTTP 429" in request.last_error
    assert_backoff(request, 119, 121)
    assert rig.mappings(rig.known(1)) == []
    assert rig.searches(rig.known(1)) == 1
    assert rig.sleeps == [], "retry_max 0: the client does not wait itself"


def test_429_is_retried_inside_the_client_after_retry_after_then_found(rig: Rig) -> None:
    (rid,) = rig.enqueue(rig.known(2))
    rig.standin.inject(Fault(kind="429", retry_after=7, times=1))
    stats = rig.run(rig.client(retry_max=2))
    assert (stats.claimed, stats.found, stats.retried) == (1, 1, 0)
    assert rig.sleeps == [7.0], "the client waited exactly Retry-After before its second try"
    request = rig.request(rid)
    assert (request.status, request.outcome, request.attempts, request.company_id) == (
        "done",
        "found",
        1,
        rig.company_id(2),
    )
    assert request.last_error is None
    assert rig.mappings(rig.known(2)) == [(rig.company_id(2), "EQC")]
    assert rig.searches(rig.known(2)) == 2


def test_500_then_200_inside_the_client_is_one_attempt(rig: Rig) -> None:
    (rid,) = rig.enqueue(rig.known(3))
    rig.standin.inject(Fault(kind="500", times=1))
    stats = rig.run(rig.client(retry_max=1))
    assert (stats.claimed, stats.found) == (1, 1)
    assert len(rig.sleeps) == 1, "one backoff between the 500 and the 200"
    request = rig.request(rid)
    assert (request.status, request.outcome, request.attempts, request.last_error) == ("done", "found", 1, None)
    assert rig.mappings(rig.known(3)) == [(rig.company_id(3), "EQC")]
    assert rig.searches(rig.known(3)) == 2


def test_500_then_200_across_queue_attempts(rig: Rig) -> None:
    (rid,) = rig.enqueue(rig.known(4))
    rig.standin.inject(Fault(kind="500", times=1))
    first = rig.run(rig.client(retry_max=0))
    assert (first.claimed, first.retried) == (1, 1)
    request = rig.request(rid)
    assert (request.status, request.attempts) == ("pending", 1)
    assert request.last_error is not None and "HTTP 500" in request.last_error
    assert_backoff(request, 150 - 1, 300 + 1)  # backoff_base 300 s x 2^0, jitter 50-100 %
    assert rig.mappings(rig.known(4)) == []

    # The backoff passes (made due now), and the worker's next pass finds it.
    with psycopg.connect(rig.db_uri, autocommit=True) as conn:
        conn.execute("UPDATE enterprise.lookup_requests SET next_attempt_at = now() WHERE id = %s", (rid,))
    second = rig.run(rig.client(retry_max=0))
    assert (second.claimed, second.found) == (1, 1)
    request = rig.request(rid)
    assert (request.status, request.outcome, request.attempts, request.last_error) == ("done", "found", 2, None)
    assert rig.mappings(rig.known(4)) == [(rig.company_id(4), "EQC")]
    assert rig.searches(rig.known(4)) == 2


def test_timeout_is_a_failed_attempt_with_backoff(rig: Rig) -> None:
    (rid,) = rig.enqueue(rig.known(5))
    rig.standin.inject(Fault(kind="slow", delay=1.5, times=None, name=rig.key(rig.known(5))))
    stats = rig.run(rig.client(retry_max=0, timeout=0.3))
    assert (stats.claimed, stats.retried) == (1, 1)
    request = rig.request(rid)
    assert (request.status, request.attempts, request.lease_owner) == ("pending", 1, None)
    assert request.last_error is not None and "timeout" in request.last_error
    assert_backoff(request, 149, 301)
    assert rig.mappings(rig.known(5)) == []
    assert rig.searches(rig.known(5)) == 1


def test_connection_refused_is_a_failed_attempt_with_backoff(rig: Rig) -> None:
    (rid,) = rig.enqueue(rig.known(6))
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    stats = rig.run(rig.client(retry_max=1, base_url=f"http://127.0.0.1:{closed_port}"))
    assert (stats.claimed, stats.retried) == (1, 1)
    assert len(rig.sleeps) == 1, "retried once inside the client"
    request = rig.request(rid)
    assert (request.status, request.attempts) == ("pending", 1)
    assert request.last_error is not None and "transport error (ConnectError)" in request.last_error
    assert "failed after 2 attempts" in request.last_error
    assert_backoff(request, 149, 301)
    assert rig.mappings(rig.known(6)) == []
    assert rig.standin.stats().total_requests == 0


def test_malformed_json_is_a_failed_attempt_then_retried_inside_the_client(rig: Rig) -> None:
    first_id, second_id = rig.enqueue(rig.known(7), rig.known(8))
    rig.standin.inject(Fault(kind="malformed", times=1, name=rig.key(rig.known(7))))
    stats = rig.run(rig.client(retry_max=0))
    assert (stats.claimed, stats.retried, stats.found) == (2, 1, 1)
    request = rig.request(first_id)
    assert (request.status, request.attempts) == ("pending", 1)
    assert request.last_error is not None and "not JSON" in request.last_error
    assert_backoff(request, 149, 301)
    assert rig.mappings(rig.known(7)) == []
    assert rig.request(second_id).status == "done", "the malformed answer did not disturb the next request"

    rig.standin.inject(Fault(kind="malformed", times=1, name=rig.key(rig.known(9))))
    (third_id,) = rig.enqueue(rig.known(9))
    again = rig.run(rig.client(retry_max=1))
    assert (again.claimed, again.found) == (1, 1)
    request = rig.request(third_id)
    assert (request.status, request.outcome, request.attempts) == ("done", "found", 1)
    assert rig.mappings(rig.known(9)) == [(rig.company_id(9), "EQC")]
    assert rig.searches(rig.known(9)) == 2


def test_empty_result_list_is_not_found_and_answers_a_stable_temp_id(rig: Rig) -> None:
    (rid,) = rig.enqueue(rig.known(10))
    rig.standin.inject(Fault(kind="empty", times=1))
    stats = rig.run(rig.client(retry_max=3))
    assert (stats.claimed, stats.not_found, stats.retried) == (1, 1, 0)
    assert rig.sleeps == [], "an empty answer is an answer, not retried"
    request = rig.request(rid)
    assert (request.status, request.outcome, request.attempts, request.company_id) == ("done", "not_found", 1, None)
    assert rig.mappings(rig.known(10)) == []
    first = rig.db.resolve_company_id(customer_name=rig.known(10))
    second = rig.db.resolve_company_id(customer_name=f" {rig.known(10)}（已注销）")
    assert first.status is ResolutionStatus.TEMP_ASSIGNED and first.source == "generated"
    assert first.temp_id is not None and first.temp_id == second.temp_id == first.company_id
    with psycopg.connect(rig.db_uri) as conn:
        count = conn.execute(
            "SELECT count(*) FROM enterprise.lookup_requests WHERE normalized_name = %s", (rig.key(rig.known(10)),)
        ).fetchone()
    assert count == (1,), "not queued again (negative cache)"
    assert rig.searches(rig.known(10)) == 1


def test_poison_request_fails_after_max_attempts_while_the_rest_drains_and_requeue_brings_it_back(rig: Rig) -> None:
    names = [rig.known(i) for i in range(11, 26)] + [rig.unknown(i) for i in range(5)]
    poison = rig.known(26)
    ids = rig.enqueue(*names[:10], poison, *names[10:])
    poison_id = ids[10]
    rig.standin.inject(Fault(kind="500", times=None, name=rig.key(poison)))

    stats = rig.run(rig.client(retry_max=0), lookup_retry_delay=timedelta(0), lookup_retry_max=3)
    assert (stats.claimed, stats.found, stats.not_found, stats.retried, stats.failed, stats.lost) == (
        20 + 3,
        15,
        5,
        2,
        1,
        0,
    )
    request = rig.request(poison_id)
    assert (request.status, request.attempts, request.lease_owner) == ("failed", 3, None)
    assert request.last_error is not None and "HTTP 500" in request.last_error
    assert rig.searches(poison) == 3, "one search per attempt"
    with psycopg.connect(rig.db_uri) as conn:
        others = conn.execute(
            "SELECT status, outcome, attempts, count(*) FROM enterprise.lookup_requests WHERE id <> %s"
            " GROUP BY 1, 2, 3 ORDER BY 2",
            (poison_id,),
        ).fetchall()
    assert others == [("done", "found", 1, 15), ("done", "not_found", 1, 5)], "the rest drained normally"
    assert rig.mappings(poison) == []
    queue = rig.db.queue_stats()
    assert (queue.failed, queue.pending, queue.processing, queue.found, queue.not_found) == (1, 0, 0, 15, 5)

    # A failed name answers pending_lookup with the failed request's id, and is not queued again.
    answer = rig.db.resolve_company_id(customer_name=poison)
    assert (answer.status, answer.request_id) == (ResolutionStatus.PENDING_LOOKUP, poison_id)

    assert rig.db.requeue_failed() == 1
    request = rig.request(poison_id)
    assert (request.status, request.attempts) == ("pending", 0)
    assert request.next_attempt_at <= request.db_now
    assert rig.db.requeue_failed() == 0, "nothing else to requeue"

    rig.standin.clear_faults()
    final = rig.run(rig.client(retry_max=0), lookup_retry_delay=timedelta(0))
    assert (final.claimed, final.found) == (1, 1)
    request = rig.request(poison_id)
    assert (request.status, request.outcome, request.attempts, request.company_id) == (
        "done",
        "found",
        1,
        rig.company_id(26),
    )
    assert rig.mappings(poison) == [(rig.company_id(26), "EQC")]
    assert rig.searches(poison) == 4
