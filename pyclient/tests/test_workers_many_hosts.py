"""Workers on many hosts (issue 14): four `company-enrichment work` processes, as four hosts would run them, drain
5,000 queued requests through one EQC stand-in, exactly once and within the shared EQC rate limit.

Nothing here is simulated inside one process: each worker is a separate OS process started with the real command
line, with its own connection pool, LISTEN connection and EQC client, and a name of its own (``host:pid:random``).
What they share is what separate hosts share: the database and EQC. The checks come from three independent
witnesses:

* the stand-in's own request log (every search it served, and when it arrived): each name looked up exactly once,
  and the rate limit never exceeded over any sliding window;
* the database: every request done, each claimed exactly once (``attempts`` 1), one learned mapping per found name;
* the workers' own JSON logs and summaries: each request settled by exactly one worker, every worker did work, and
  the claims the four report add up to 5,000 (a request claimed twice would be counted twice).

The limit. ``WDH_EQC_RATE_LIMIT`` is per minute, and the issue asks for it to hold over any 60 s window. A check over
60 s windows means something only if the run lasts longer than 60 s (otherwise one window holds every request and
the check is "total <= limit"). So the limit is 4,800 a minute (80/s): 5,000 requests need 62.5 s at that pace, and
if the limit were not shared (each worker pacing itself at 80/s) the first 60 s would see every one of the 5,000,
above 4,800. The same arrival times are checked over every sliding 10 s window too (at most 800 + slack), where an
unshared limit would show 4 times the pace. The slack covers what happens between the permit, booked in the
database at exact spacing, and the request's arrival at the stand-in (scheduling, HTTP): a late request can land in
the same window as later ones. Each worker has one request in flight at a time, so at most 4 can be late at once;
the slack allows half a second's worth of requests (40), ten times that, and is still far below what an unshared
limit would show. The test also checks the limit bound the run (the workers could go faster), or it proves nothing.
It takes about 70 s: the price of a 60 s window that means something.
"""

from __future__ import annotations

import bisect
import json
import signal
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
import pytest
from company_enrichment.standin import EQCStandin
from test_reliability_worker import Worker, spawn_worker, wait_until, worker_env

TOKEN = "many-hosts-token"
WORKERS = 4
REQUESTS = 5_000
KNOWN = 1_000  # of them found in EQC (a learned mapping each); the rest not found (a TEMP id each)
RATE_PER_MINUTE = 4_800  # 80/s: 5,000 requests take 62.5 s, so 60 s windows are a real check
SLACK = 1 + RATE_PER_MINUTE // 120  # half a second's worth of requests: permit-to-arrival jitter


@dataclass
class Hosts:
    db_uri: str
    standin: EQCStandin
    tag: str
    tmp_path: Path
    workers: list[Worker]

    def known(self, i: int) -> str:
        return f"{self.tag}多主机{i}科技有限公司"

    def unknown(self, i: int) -> str:
        return f"{self.tag}无此{i}商号"

    def start_worker(self) -> Worker:
        """One worker process, as a deployer runs it on a host: same database, EQC and limit; its own name."""
        env = worker_env(
            self.db_uri,
            self.standin,
            WDH_EQC_RATE_LIMIT=str(RATE_PER_MINUTE),
            WDH_LOG_LEVEL="INFO",
            WDH_LOG_FORMAT="json",
        )
        worker = spawn_worker(
            self.tmp_path, f"host{len(self.workers)}", ["work", "--batch-size", "50", "--poll-interval", "1"], env
        )
        self.workers.append(worker)
        return worker

    def query(self, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        with psycopg.connect(self.db_uri, autocommit=True) as conn:
            return conn.execute(sql, params).fetchall()

    def listeners(self) -> int:
        rows = self.query(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
            " AND query = 'LISTEN enterprise_lookup' AND pid <> pg_backend_pid()"
        )
        return int(rows[0][0])

    def done(self) -> int:
        return int(self.query("SELECT count(*) FROM enterprise.lookup_requests WHERE status = 'done'")[0][0])


@pytest.fixture
def hosts(db_uri: str, empty_queue: None, tag: str, tmp_path: Path) -> Iterator[Hosts]:
    companies = [
        {"companyId": f"8{10000000 + i}", "companyFullName": f"{tag}多主机{i}科技有限公司", "unite_code": None}
        for i in range(KNOWN)
    ]
    with EQCStandin({"token": TOKEN, "companies": companies}).start() as standin:
        rig = Hosts(db_uri=db_uri, standin=standin, tag=tag, tmp_path=tmp_path, workers=[])
        try:
            yield rig
        finally:
            for worker in rig.workers:
                worker.stop()


def max_in_window(times: list[float], window: float) -> int:
    """The most arrivals in any half-open window [t, t + window): the busiest window starts at an arrival."""
    times = sorted(times)
    return max(bisect.bisect_left(times, t + window) - i for i, t in enumerate(times))


def settled_by(worker: Worker) -> dict[int, str]:
    """request id -> the worker name (host:pid:random:thread) that logged settling it, from the JSON log."""
    settled: dict[int, str] = {}
    for line in worker.stderr.read_text(encoding="utf-8").splitlines():
        if not line.startswith("{"):
            continue
        entry = json.loads(line)
        if entry.get("outcome") in ("found", "not_found") and "request_id" in entry:
            assert entry["request_id"] not in settled, f"one worker logged request {entry['request_id']} twice"
            settled[int(entry["request_id"])] = str(entry["worker"])
    return settled


def test_four_worker_processes_drain_5000_requests_exactly_once_within_the_shared_rate_limit(hosts: Hosts) -> None:
    for _ in range(WORKERS):
        hosts.start_worker()
    wait_until(lambda: hosts.listeners() == WORKERS, 60, "the four workers to LISTEN (up and idle)")

    names = [hosts.known(i) for i in range(KNOWN)] + [hosts.unknown(i) for i in range(REQUESTS - KNOWN)]
    with psycopg.connect(hosts.db_uri, autocommit=True) as conn:
        conn.execute("SELECT enterprise.enqueue_lookup(name => n) FROM unnest(%s::text[]) AS n", (names,))
    wait_until(lambda: hosts.done() == REQUESTS, 150, "all 5,000 requests done", interval=0.5)
    for worker in hosts.workers:
        worker.process.send_signal(signal.SIGTERM)
    for worker in hosts.workers:
        assert worker.wait(30) == 0, worker.output()[-2000:]

    # The stand-in's witness: each name searched exactly once, nothing else asked.
    log = hosts.standin.request_log
    keys = [str(r[0]) for r in hosts.query("SELECT normalized_name FROM enterprise.lookup_requests")]
    searches = Counter(r.key for r in log)
    assert len(log) == REQUESTS and all(r.status == 200 for r in log)
    assert searches == Counter(keys), "every request's name searched exactly once"

    # The database's witness: every request done, found or not as EQC said, each claimed once.
    rows = hosts.query(
        "SELECT status, outcome, attempts, count(*) FROM enterprise.lookup_requests GROUP BY 1, 2, 3 ORDER BY 1, 2, 3"
    )
    assert rows == [("done", "found", 1, KNOWN), ("done", "not_found", 1, REQUESTS - KNOWN)], rows
    learned = hosts.query(
        "SELECT count(*) FROM enterprise.company_mapping WHERE source = 'EQC' AND alias_name LIKE %s",
        (f"{hosts.tag}多主机%",),
    )
    assert learned == [(KNOWN,)], "one learned mapping per found name"

    # The workers' witness: disjoint settlements, every worker busy, claims adding up to exactly 5,000.
    per_worker = [settled_by(w) for w in hosts.workers]
    ids = [int(r[0]) for r in hosts.query("SELECT id FROM enterprise.lookup_requests")]
    assert sorted(i for settled in per_worker for i in settled) == sorted(ids), "each request settled once, by one"
    names_seen = [{name.rsplit(":", 1)[0] for name in settled.values()} for settled in per_worker]
    assert all(len(n) == 1 for n in names_seen), names_seen
    assert len(set().union(*names_seen)) == WORKERS, f"four distinct worker names: {names_seen}"
    counts = [len(settled) for settled in per_worker]
    assert min(counts) >= REQUESTS // (WORKERS * 4), f"every worker did its part: {counts}"
    claimed = [int(w.output().split("claimed ", 1)[1].split(",", 1)[0]) for w in hosts.workers]
    assert claimed == counts and sum(claimed) == REQUESTS, (claimed, counts)

    # The limit, from the stand-in's clock.
    times = [r.at for r in log]
    busiest_minute = max_in_window(times, 60.0)
    busiest_10s = max_in_window(times, 10.0)
    span = max(times) - min(times)
    assert span > 60.0, f"the run must outlast one window for the 60 s check to mean anything ({span:.1f} s)"
    assert busiest_minute <= RATE_PER_MINUTE + SLACK, busiest_minute
    assert busiest_10s <= RATE_PER_MINUTE // 6 + SLACK, busiest_10s
    # ... and the limit was what held them back: unpaced, the four go about 7 times faster on this machine (5,000
    # in 9 s), so a pace near the limit means the limit set it. Not all of it: a slot nobody asks for at once is
    # lost (the next one is booked from the moment of asking), so they reach about 90 % of it.
    assert busiest_10s >= 0.75 * RATE_PER_MINUTE // 6, f"the limit never bound ({busiest_10s} in the busiest 10 s)"

    print(
        f"\n{WORKERS} workers, {REQUESTS} requests in {span:.1f} s ({REQUESTS / span:.1f}/s) at a limit of"
        f" {RATE_PER_MINUTE}/min: busiest 60 s {busiest_minute}, busiest 10 s {busiest_10s}; per worker {counts}"
    )
