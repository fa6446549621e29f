"""CompanyEnrichmentService against the real database and the EQC stand-in on loopback."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import psycopg
import pytest
from company_enrichment.db import EnrichmentDB
from company_enrichment.eqc import EQCClient
from company_enrichment.models import CompanyRecord, LookupRequest, MappingRow, ResolutionStatus
from company_enrichment.ratelimit import DatabaseRateLimiter
from company_enrichment.service import CompanyEnrichmentService
from company_enrichment.standin import EQCStandin, Fault


@dataclass
class World:
    db: EnrichmentDB
    standin: EQCStandin
    eqc: EQCClient
    tag: str

    def company(self, i: int) -> str:
        """The full name of fixture company i."""
        return f"{self.tag}号{i}科技有限公司"

    def unknown(self, i: int) -> str:
        return f"无人知晓{self.tag}号{i}贸易公司"

    def service(self, budget: int = 0, **kwargs: object) -> CompanyEnrichmentService:
        return CompanyEnrichmentService(self.db, self.eqc, sync_lookup_budget=budget, **kwargs)  # type: ignore[arg-type]

    def searches(self) -> int:
        return self.standin.stats().search_requests


def _fetch(db: EnrichmentDB, name: str) -> LookupRequest:
    with psycopg.connect(str(db.pool.conninfo)) as conn, conn.cursor() as cur:
        cur.execute(
            "SELECT * FROM enterprise.lookup_requests WHERE normalized_name = enterprise.normalize_name(%s)"
            " ORDER BY id DESC LIMIT 1",
            (name,),
        )
        cols = [d.name for d in cur.description or []]
        row = cur.fetchone()
    assert row is not None
    return LookupRequest(**dict(zip(cols, row, strict=True)))


@pytest.fixture
def world(db_uri: str, empty_queue: None, tag: str) -> Iterator[World]:
    companies = [
        {
            "companyId": f"6{90000000 + i}",
            "companyFullName": f"{tag}号{i}科技有限公司",
            "unite_code": f"9131{i:014d}",
            "aliases": [f"{tag}号{i}"],
        }
        for i in range(1, 9)
    ]
    with (
        EnrichmentDB.connect(db_uri, max_size=4) as db,
        EQCStandin({"token": "test-token", "companies": companies}).start() as standin,
    ):
        eqc = EQCClient(
            standin.url,
            standin.token,
            retry_max=1,
            sleep=lambda _: None,
            rate_limiter=DatabaseRateLimiter(db, 60_000, bucket=f"test-{tag}"),
        )
        with eqc:
            yield World(db=db, standin=standin, eqc=eqc, tag=tag)


def test_four_outcomes(world: World) -> None:
    plan = MappingRow(alias_name=f"{world.tag}-PLAN", canonical_id="600000001", match_type="plan")
    world.db.upsert_internal_mappings([plan])
    service = world.service(budget=5)

    internal = service.resolve_company_id(plan_code=f"{world.tag}-PLAN", customer_name=world.company(1))
    assert (internal.status, internal.company_id, internal.source) == (
        ResolutionStatus.SUCCESS_INTERNAL,
        "600000001",
        "plan",
    )
    assert world.searches() == 0, "an internal hit never calls EQC"

    external = service.resolve_company_id(customer_name=f" {world.company(1)}（已转出）")
    assert (external.status, external.company_id, external.source) == (
        ResolutionStatus.SUCCESS_EXTERNAL,
        "690000001",
        "EQC",
    )
    assert world.searches() == 1

    temp = service.resolve_company_id(customer_name=world.unknown(1))
    assert temp.status is ResolutionStatus.TEMP_ASSIGNED and temp.company_id == temp.temp_id
    assert temp.company_id is not None and temp.company_id.startswith("TEMP_")
    again = service.resolve_company_id(customer_name=world.unknown(1))
    assert again.temp_id == temp.temp_id, "the negative cache gives the same TEMP id"
    assert world.searches() == 2, "and does not ask EQC again"

    pending = world.service(budget=0).resolve_company_id(customer_name=world.company(2))
    assert pending.status is ResolutionStatus.PENDING_LOOKUP and pending.request_id is not None
    assert pending.company_id is None

    noname = service.resolve_company_id(account_number=f"{world.tag}-ACCT")
    assert noname.status is ResolutionStatus.TEMP_ASSIGNED
    assert world.searches() == 2

    # A learned name resolves from the cache later, without EQC.
    cached = world.service(budget=0).resolve_company_id(customer_name=world.company(1))
    assert (cached.status, cached.company_id) == (ResolutionStatus.SUCCESS_EXTERNAL, "690000001")
    assert world.searches() == 2


def test_budget_is_spent_across_calls(world: World) -> None:
    service = world.service(budget=2)
    results = [service.resolve_company_id(customer_name=world.company(i)) for i in (1, 2, 3)]
    assert [r.status for r in results] == [
        ResolutionStatus.SUCCESS_EXTERNAL,
        ResolutionStatus.SUCCESS_EXTERNAL,
        ResolutionStatus.PENDING_LOOKUP,
    ]
    assert service.sync_lookup_budget == 0
    assert world.searches() == 2
    # A per-call budget is the call's own and leaves the instance's alone.
    override = service.resolve_company_id(customer_name=world.company(4), sync_lookup_budget=1)
    assert override.status is ResolutionStatus.SUCCESS_EXTERNAL
    assert service.sync_lookup_budget == 0
    # A name already settled costs nothing.
    assert service.resolve_company_id(customer_name=world.company(1)).status is ResolutionStatus.SUCCESS_EXTERNAL
    assert world.searches() == 3


def test_resolve_batch_looks_up_at_most_budget_distinct_names_in_input_order(world: World) -> None:
    names = [world.company(3), world.company(1), world.company(3), world.company(2), world.company(1), None]
    records = [CompanyRecord(customer_name=n, plan_code=None if n else f"{world.tag}-NONAME") for n in names]
    service = world.service(budget=2)
    results = service.resolve_batch(records)
    assert [r.status for r in results] == [
        ResolutionStatus.SUCCESS_EXTERNAL,
        ResolutionStatus.SUCCESS_EXTERNAL,
        ResolutionStatus.SUCCESS_EXTERNAL,
        ResolutionStatus.PENDING_LOOKUP,
        ResolutionStatus.SUCCESS_EXTERNAL,
        ResolutionStatus.TEMP_ASSIGNED,
    ]
    assert [r.company_id for r in results[:3]] == ["690000003", "690000001", "690000003"]
    assert world.searches() == 2, "one EQC search per distinct name, two names within the budget"
    assert world.standin.stats().search_key_counts == {world.company(3): 1, world.company(1): 1}


def test_eqc_errors_never_escape_and_leave_the_request_queued(world: World) -> None:
    world.standin.inject(Fault(kind="500", times=None))
    service = world.service(budget=3)
    result = service.resolve_company_id(customer_name=world.company(5))
    assert result.status is ResolutionStatus.PENDING_LOOKUP
    request = _fetch(world.db, world.company(5))
    assert (request.status, request.attempts) == ("pending", 1)
    assert request.last_error is not None and "EQC error" in request.last_error
    assert request.next_attempt_at > request.updated_at, "retried later, after a backoff"
    assert service.sync_lookup_budget == 2, "the attempt was spent"


def test_auth_error_disables_inline_lookups_and_spends_no_attempt(world: World) -> None:
    world.standin.inject(Fault(kind="expired", times=None))
    service = world.service(budget=5)
    first = service.resolve_company_id(customer_name=world.company(6))
    assert first.status is ResolutionStatus.PENDING_LOOKUP
    request = _fetch(world.db, world.company(6))
    assert (request.status, request.attempts, request.lease_owner) == ("pending", 0, None)
    assert not service.inline_lookups_enabled
    before = world.standin.stats().total_requests
    second = service.resolve_company_id(customer_name=world.company(7))
    assert second.status is ResolutionStatus.PENDING_LOOKUP
    assert world.standin.stats().total_requests == before, "no further EQC calls from this instance"


def test_worker_drains_the_queue(world: World) -> None:
    queued = world.service(budget=0).resolve_batch(
        [
            CompanyRecord(customer_name=n)
            for n in (world.company(1), world.company(2), world.unknown(1), world.unknown(2))
        ]
    )
    assert {r.status for r in queued} == {ResolutionStatus.PENDING_LOOKUP}
    world.standin.inject(Fault(kind="500", times=2, name=world.company(2)))
    stats = world.service().process_lookup_queue(batch_size=10)
    assert (stats.claimed, stats.found, stats.not_found, stats.retried, stats.failed) == (4, 1, 2, 1, 0)
    assert world.db.queue_stats().pending == 1
    # The retried one is due after its backoff; make it due now and drain again.
    with psycopg.connect(str(world.db.pool.conninfo), autocommit=True) as conn:
        conn.execute("UPDATE enterprise.lookup_requests SET next_attempt_at = now() WHERE status = 'pending'")
    again = world.service().process_lookup_queue(batch_size=10)
    assert (again.claimed, again.found) == (1, 1)
    stats_after = world.db.queue_stats()
    assert (stats_after.pending, stats_after.processing, stats_after.found, stats_after.not_found) == (0, 0, 2, 2)
    final = world.service().resolve_batch(
        [CompanyRecord(customer_name=n) for n in (world.company(1), world.company(2), world.unknown(1))]
    )
    assert [r.status for r in final] == [
        ResolutionStatus.SUCCESS_EXTERNAL,
        ResolutionStatus.SUCCESS_EXTERNAL,
        ResolutionStatus.TEMP_ASSIGNED,
    ]


def test_worker_releases_its_batch_on_auth_error(world: World) -> None:
    world.service(budget=0).resolve_batch([CompanyRecord(customer_name=world.company(i)) for i in range(1, 6)])
    world.standin.inject(Fault(kind="401", times=None))
    stats = world.service().process_lookup_queue(batch_size=10)
    assert stats.auth_failed
    assert (stats.claimed, stats.released, stats.found) == (5, 5, 0)
    with psycopg.connect(str(world.db.pool.conninfo)) as conn:
        rows = conn.execute("SELECT status, attempts, lease_owner FROM enterprise.lookup_requests").fetchall()
    assert rows == [("pending", 0, None)] * 5


def test_worker_max_requests_and_stop(world: World) -> None:
    import threading

    world.service(budget=0).resolve_batch([CompanyRecord(customer_name=world.company(i)) for i in range(1, 7)])
    limited = world.service().process_lookup_queue(batch_size=4, max_requests=3)
    assert (limited.claimed, limited.found) == (3, 3)
    stop = threading.Event()
    stop.set()
    stopped = world.service().process_lookup_queue(batch_size=4, stop=stop)
    assert stopped.claimed == 0
    assert world.db.queue_stats().pending == 3


def test_settle_lookups_hands_over_eqc_candidates_byte_for_byte(world: World) -> None:
    """EnrichmentDB.settle_lookups sends the candidates as a binary jsonb[] (psycopg's text form escaped every
    quote of every answer with a regular expression: half the worker's CPU per request). Whatever EQC put in an
    answer (quotes, backslashes, braces, commas, NULL-looking text, nested values, numbers) reaches the database as
    it came: eqc_companies keeps each candidate, and the learned name is the queued one."""
    from company_enrichment.db import SQL

    assert "%(candidates)b::jsonb[]" in SQL["settle_lookups"]
    names = [world.unknown(i) for i in range(1, 4)]
    world.service(budget=0).resolve_batch([CompanyRecord(customer_name=n) for n in names])
    held = world.db.claim_lookups(10, "binary-worker")
    assert sorted(r.name for r in held) == sorted(names)
    odd: list[dict[str, Any]] = [
        {"companyId": "7100000001", "said": 'He said "yes", {ok}', "type": "NULL", "note": "a\\b\\\\c"},
        {"companyId": 7100000002, "where": "逗号,和\t制表符", "unite_code": None, "extra": {"k": [1, "2"]}},
        {"companyId": "7100000003", "quoted": "'single' and \\N", "type": "全称", "n": 1.5e3},
    ]
    # one candidate per answer, its full name the queued one (found, confidence 1.00)
    answers = [[{**odd[i], "companyFullName": r.name}] for i, r in enumerate(held)]
    rows = world.db.settle_lookups("binary-worker", [r.id for r in held], answers)
    assert sorted((r.id, r.status, r.outcome) for r in rows) == sorted((r.id, "done", "found") for r in held)
    with psycopg.connect(str(world.db.pool.conninfo)) as conn:
        raws: dict[str, Any] = dict(
            conn.execute(
                "SELECT company_id, raw FROM enterprise.eqc_companies WHERE company_id = ANY (%s)",
                ([str(c["companyId"]) for c in odd],),
            ).fetchall()
        )
        learned = conn.execute(
            "SELECT alias_name, canonical_id FROM enterprise.company_mapping WHERE alias_name = ANY (%s)", (names,)
        ).fetchall()
    assert raws == {str(a[0]["companyId"]): a[0] for a in answers}
    assert sorted(learned) == sorted((r.name, str(odd[i]["companyId"])) for i, r in enumerate(held))
