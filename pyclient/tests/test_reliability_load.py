"""Load (issue 6): 16 clients resolving while 4 workers drain the queue and an admin bulk-loads curated mappings.

Every client is a thread with its own connection calling enterprise.resolve_company_ids on a shuffled batch.
The admin rewrites all curated aliases to a new generation of company ids in one upsert_internal_mappings
call, over and over. Checked for every answer:

* curated aliases: all from one generation (the statement sees one snapshot), and a generation that was
  committed no earlier than... and started no later than the call: the old state or the new state, never a mix;
* names EQC knows: pending_lookup, or success_external with EQC's id, and never pending again once found;
* names EQC does not know: pending_lookup, or temp_assigned with one TEMP id for all clients, ever;
* no error of any kind, no deadlock (pg_stat_database.deadlocks unchanged), each name queued once and
  searched in EQC once, one learned mapping per found name.
"""

from __future__ import annotations

import random
import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field

import psycopg
import pytest
from company_enrichment.db import EnrichmentDB
from company_enrichment.eqc import EQCClient
from company_enrichment.models import MappingRow
from company_enrichment.ratelimit import DatabaseRateLimiter
from company_enrichment.service import CompanyEnrichmentService
from company_enrichment.standin import EQCStandin, Fault

CLIENTS = 16
WORKERS = 4
DURATION = 12.0
ALIASES = 100
KNOWN = 240
UNKNOWN = 80
FRESH_PER_SECOND = 10


@dataclass
class Shared:
    started_generation: int = 0
    committed_generation: int = 0
    errors: list[str] = field(default_factory=list)
    calls: int = 0
    answers: int = 0
    generations_seen: Counter[int] = field(default_factory=Counter)
    failures: Counter[str] = field(default_factory=Counter)
    fresh: set[str] = field(default_factory=set)
    temp_ids: dict[str, str] = field(default_factory=dict)
    found_ids: dict[str, str] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def error(self, text: str) -> None:
        with self.lock:
            if len(self.errors) < 50:
                self.errors.append(text)


def company_id(generation: int, alias: int) -> str:
    return f"5{generation:05d}{alias:04d}"


@pytest.fixture
def load_db(db_uri: str, empty_queue: None) -> Iterator[EnrichmentDB]:
    with EnrichmentDB.connect(db_uri, max_size=WORKERS + 2) as db:
        yield db


def test_sixteen_clients_four_workers_and_an_admin_bulk_load(db_uri: str, load_db: EnrichmentDB, tag: str) -> None:
    aliases = [f"{tag}-别名-{j}" for j in range(ALIASES)]
    known = [f"{tag}负载{i}有限公司" for i in range(KNOWN)]
    unknown = [f"{tag}未知{i}工作室" for i in range(UNKNOWN)]
    alias_index = {a: j for j, a in enumerate(aliases)}
    eqc_ids = {name: f"6{30000000 + i}" for i, name in enumerate(known)}
    fixtures = {
        "token": "load-token",
        "companies": [{"companyId": eqc_ids[n], "companyFullName": n, "unite_code": None} for n in known],
    }

    def load(generation: int) -> None:
        load_db.upsert_internal_mappings(
            [
                MappingRow(alias_name=a, canonical_id=company_id(generation, j), match_type="name")
                for j, a in enumerate(aliases)
            ]
        )

    load(0)
    shared = Shared()
    stop = threading.Event()
    resolving_done = threading.Event()
    started = time.monotonic()
    with psycopg.connect(db_uri, autocommit=True) as conn:
        deadlocks_before = conn.execute(
            "SELECT deadlocks FROM pg_stat_database WHERE datname = current_database()"
        ).fetchone()

    def client(index: int) -> None:
        rng = random.Random(index)
        state: dict[str, str] = {}  # name -> last status this client saw
        try:
            with psycopg.connect(db_uri, autocommit=True) as conn:
                while not stop.is_set():
                    # Names nobody has queued yet, shared by every client at the same moment: concurrent
                    # batches keep creating the same new requests (in different orders) for the whole run.
                    window = int((time.monotonic() - started) * FRESH_PER_SECOND)
                    fresh = [f"{tag}新{k}号" for k in rng.sample(range(window, window + 12), 8)]
                    with shared.lock:
                        shared.fresh.update(fresh)
                    names = aliases + rng.sample(known, 12) + rng.sample(unknown, 6) + fresh
                    rng.shuffle(names)
                    with shared.lock:
                        low = shared.committed_generation
                    try:
                        rows = conn.execute(
                            "SELECT company_id, status, source, temp_id, request_id"
                            " FROM enterprise.resolve_company_ids(customer_names => %s) ORDER BY ordinal",
                            (names,),
                        ).fetchall()
                    except psycopg.Error as exc:  # counted, and the client carries on
                        with shared.lock:
                            shared.failures[exc.sqlstate or type(exc).__name__] += 1
                        shared.error(f"client {index}: {type(exc).__name__}: {str(exc).splitlines()[0]}")
                        continue
                    with shared.lock:
                        high = shared.started_generation
                    check(names, rows, low, high, state)
        except Exception as exc:
            shared.error(f"client {index}: {type(exc).__name__}: {exc}")

    def check(names: list[str], rows: list[tuple[object, ...]], low: int, high: int, state: dict[str, str]) -> None:
        if len(rows) != len(names):
            shared.error(f"{len(rows)} rows for {len(names)} names")
            return
        generations = set()
        for name, (cid, status, source, temp_id, request_id) in zip(names, rows, strict=True):
            if name in alias_index:
                j = alias_index[name]
                generation = int(str(cid)[1:6]) if isinstance(cid, str) else -1
                if status != "success_internal" or source != "name" or cid != company_id(generation, j):
                    shared.error(f"alias {name}: {cid} {status} {source}")
                generations.add(generation)
            elif name in eqc_ids:
                if status == "success_external" and cid == eqc_ids[name] and source == "EQC":
                    state[name] = "found"
                elif status == "pending_lookup" and cid is None and request_id is not None:
                    if state.get(name) == "found":
                        shared.error(f"{name}: pending again after it was found")
                else:
                    shared.error(f"known {name}: {cid} {status} {source} {request_id}")
            else:
                if status == "temp_assigned" and source == "generated" and cid == temp_id and temp_id:
                    state[name] = "temp"
                    with shared.lock:
                        if shared.temp_ids.setdefault(name, str(temp_id)) != temp_id:
                            shared.error(f"{name}: TEMP id {temp_id}, another client got {shared.temp_ids[name]}")
                elif status == "pending_lookup" and cid is None and request_id is not None:
                    if state.get(name) == "temp":
                        shared.error(f"{name}: pending again after EQC said not found")
                else:
                    shared.error(f"unknown {name}: {cid} {status} {source} {temp_id}")
        if len(generations) != 1:
            shared.error(f"one batch saw generations {sorted(generations)}")
        else:
            (generation,) = generations
            if not low <= generation <= high:
                shared.error(f"generation {generation} outside [{low}, {high}]")
        with shared.lock:
            shared.calls += 1
            shared.answers += len(rows)
            shared.generations_seen.update(generations)

    def admin() -> None:
        generation = 0
        try:
            while not stop.is_set():
                generation += 1
                with shared.lock:
                    shared.started_generation = generation
                load(generation)
                with shared.lock:
                    shared.committed_generation = generation
        except Exception as exc:
            shared.error(f"admin: {type(exc).__name__}: {exc}")

    worker_stats = Counter[str]()

    def worker(index: int, eqc: EQCClient) -> None:
        service = CompanyEnrichmentService(load_db, eqc, worker_name=f"{tag}-w{index}")
        try:
            while True:
                stats = service.process_lookup_queue(batch_size=5)
                with shared.lock:
                    worker_stats.update(stats.model_dump(exclude={"auth_failed"}))
                if stats.claimed == 0:
                    if resolving_done.is_set():
                        return  # every client's last request was queued before this empty claim
                    time.sleep(0.05)
        except Exception as exc:
            shared.error(f"worker {index}: {type(exc).__name__}: {exc}")

    with EQCStandin(fixtures).start() as standin:
        standin.inject(Fault(kind="slow", delay=0.02, times=None))
        clients = [
            EQCClient(
                standin.url,
                standin.token,
                retry_max=0,
                rate_limiter=DatabaseRateLimiter(load_db, 60_000, bucket=f"load-{tag}"),
            )
            for _ in range(WORKERS)
        ]
        threads = [threading.Thread(target=client, args=(i,)) for i in range(CLIENTS)]
        threads.append(threading.Thread(target=admin))
        workers = [threading.Thread(target=worker, args=(i, clients[i])) for i in range(WORKERS)]
        for thread in threads + workers:
            thread.start()
        time.sleep(DURATION)
        stop.set()
        for thread in threads:
            thread.join(timeout=60)
            assert not thread.is_alive(), f"{thread.name} is stuck"
        resolving_done.set()  # now the workers drain what is left, then stop
        for thread in workers:
            thread.join(timeout=60)
            assert not thread.is_alive(), f"{thread.name} is stuck"
        for eqc in clients:
            eqc.close()
        search_counts = standin.stats().search_key_counts

    print(
        f"\nload: {shared.calls} resolve calls, {shared.answers} answers, "
        f"{shared.committed_generation} mapping generations, failed calls {dict(shared.failures)}, "
        f"workers {dict(worker_stats)}"
    )
    assert shared.failures == Counter(), f"failed resolve calls by SQLSTATE: {dict(shared.failures)}"
    assert shared.errors == [], "\n".join(shared.errors)
    assert shared.calls >= CLIENTS * 5, f"only {shared.calls} resolve calls in {DURATION} s"
    assert shared.committed_generation >= 5, f"only {shared.committed_generation} admin loads in {DURATION} s"
    assert len(shared.generations_seen) >= 3, "clients saw the mappings change"

    everything = known + unknown + sorted(shared.fresh)
    with psycopg.connect(db_uri, autocommit=True) as conn:
        deadlocks_after = conn.execute(
            "SELECT deadlocks FROM pg_stat_database WHERE datname = current_database()"
        ).fetchone()
        assert deadlocks_after == deadlocks_before, "no deadlock"
        # Requests EQC was asked for (attempts > 0); a request queued while another request for its name was being
        # answered is settled with that answer at once, attempts 0 (trigger lookup_requests_answered_meanwhile):
        # no search of its own, so it is checked apart.
        queue = conn.execute(
            "SELECT status, outcome, count(*), count(DISTINCT normalized_name), max(attempts)"
            " FROM enterprise.lookup_requests WHERE attempts > 0 GROUP BY 1, 2 ORDER BY 2"
        ).fetchall()
        answered_by_another = conn.execute(
            "SELECT q.normalized_name, q.status, q.outcome, q.company_id,"
            " (SELECT array_agg(ARRAY[o.status, o.outcome, o.company_id, o.attempts::text] ORDER BY o.id)"
            "    FROM enterprise.lookup_requests AS o WHERE o.normalized_name = q.normalized_name AND o.id <> q.id)"
            " FROM enterprise.lookup_requests AS q WHERE q.attempts = 0"
        ).fetchall()
        learned = conn.execute(
            "SELECT count(*) FROM enterprise.company_mapping WHERE source = 'EQC' AND alias_name LIKE %s",
            (f"{tag}%",),
        ).fetchone()
        final = conn.execute(
            "SELECT company_id, status FROM enterprise.preview_company_ids(customer_names => %s) ORDER BY ordinal",
            (everything,),
        ).fetchall()

    # Every queued name was settled, once: one request per name, one EQC search per name.
    found = sum(int(str(r[2])) for r in queue if r[1] == "found")
    not_found = sum(int(str(r[2])) for r in queue if r[1] == "not_found")
    assert {(r[0], r[1]) for r in queue} <= {("done", "found"), ("done", "not_found")}, queue
    for name, status, outcome, cid, others in answered_by_another:
        # it took the answer of its name's one request, the one EQC was asked for (once)
        assert others is not None and len(others) == 1, (name, status, outcome, cid, others)
        assert status == "done" and others[0] == ["done", outcome, cid, "1"], (name, status, outcome, cid, others)
    assert all(r[2] == r[3] and r[4] == 1 for r in queue), f"one request per name, one attempt each: {queue}"
    assert found + not_found == len(search_counts), "each queued name was searched"
    assert max(search_counts.values()) == 1, "and searched once"
    assert worker_stats["claimed"] == found + not_found
    assert worker_stats["found"] == found and worker_stats["not_found"] == not_found
    assert learned == (found,), "one learned mapping per found name"
    for name, (cid, status) in zip(everything, final, strict=True):
        if name in eqc_ids and name in {k for k in search_counts}:
            assert (cid, status) == (eqc_ids[name], "success_external")
        if name in shared.temp_ids:
            assert (cid, status) == (shared.temp_ids[name], "temp_assigned")
