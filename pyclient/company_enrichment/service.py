"""CompanyEnrichmentService: resolution with a real inline-lookup budget, and the queue worker.

The service decides nothing about companies itself. Resolution, normalization, the queue's states and
caching all happen in SQL; the service only calls EQC for requests the database hands it, and reports
EQC's answer back through the queue functions. An inline lookup and a worker's lookup are the same
code path: claim the request, search EQC once, settle the request.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum
from typing import Final

from .columns import RecordColumns, ResultRow, chunk_bounds, to_result
from .db import EnrichmentDB
from .eqc import (
    CompanySearchResult,
    EQCAuthenticationError,
    EQCClient,
    EQCClientError,
    EQCNotFoundError,
    EQCRateLimitError,
    EQCStoppedError,
)
from .errors import LeaseLostError
from .models import CompanyIdResult, CompanyRecord, LookupRequest, QueueRunStats, ReplicaStats, ResolutionStatus
from .replicas import ReplicaRouter

__all__ = ["MAX_JOBS", "CompanyEnrichmentService", "LookupOutcome", "check_jobs", "default_worker_name"]

#: The most SQL calls one resolution runs at once (``jobs``); each needs a pooled connection.
MAX_JOBS: Final = 32

_PENDING: Final = ResolutionStatus.PENDING_LOOKUP.value


def check_jobs(jobs: int) -> None:
    """ValueError unless 1 <= jobs <= MAX_JOBS."""
    if isinstance(jobs, bool) or not isinstance(jobs, int) or not 1 <= jobs <= MAX_JOBS:
        raise ValueError(f"jobs must be between 1 and {MAX_JOBS}, got {jobs!r}")


logger = logging.getLogger("company_enrichment.service")


class LookupOutcome(StrEnum):
    FOUND = "found"
    NOT_FOUND = "not_found"
    RETRIED = "retried"
    FAILED = "failed"
    LOST = "lost"
    RELEASED = "released"
    REVIEW = "review"
    """EQC answered, but no candidate scored auto_accept_confidence: a person decides (lookup_review)."""


@dataclass(frozen=True)
class _Answer:
    """EQC's answer for one claimed request: every candidate, in EQC's order ([] = not found).

    The database scores them and decides (settle_lookups); the client chooses nothing.
    """

    request: LookupRequest
    candidates: Sequence[CompanySearchResult]


def default_worker_name() -> str:
    """host:pid:random, unique per process and stable for its life."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


class CompanyEnrichmentService:
    """Resolve records to company ids; look names up in EQC inline within a budget, or in the queue worker."""

    def __init__(
        self,
        db: EnrichmentDB,
        eqc_client: EQCClient | None,
        *,
        sync_lookup_budget: int = 0,
        worker_name: str | None = None,
        batch_size: int = 50,
        lookup_retry_max: int | None = None,
        lookup_retry_delay: timedelta | None = None,
        lease: timedelta | None = None,
        enabled: bool = True,
        settle_interval: float = 1.0,
        eqc_rate_per_minute: float | None = None,
        max_retry_after: timedelta = timedelta(hours=6),
        on_settled: Callable[[float], None] | None = None,
        replicas: ReplicaRouter | None = None,
    ) -> None:
        if sync_lookup_budget < 0:
            raise ValueError("sync_lookup_budget must not be negative")
        if not 1 <= batch_size <= 500:
            raise ValueError("batch_size must be between 1 and 500")
        self._db = db
        self._eqc = eqc_client
        self._budget = sync_lookup_budget
        self._worker = worker_name or default_worker_name()
        self._batch_size = batch_size
        self._retry_max = lookup_retry_max
        self._retry_delay = lookup_retry_delay
        self._lease = lease
        self._enabled = enabled and eqc_client is not None
        self._settle_interval = settle_interval
        # This worker's share of the EQC rate (requests a minute): with the lease, how many it may claim at a time.
        self._rate = eqc_rate_per_minute
        self._max_retry_after = max_retry_after
        # Told, in seconds, how long held answers waited for their settlement (metrics).
        self._on_settled = on_settled
        self._known_lease: timedelta | None = lease
        self._warned_cap = False
        self._inline_disabled = False
        self._lock = threading.Lock()
        # Hot standbys for the read-only half of batch resolution (replicas.py); None: the primary answers alone.
        self._replicas = replicas

    @property
    def db(self) -> EnrichmentDB:
        """The database this service resolves against."""
        return self._db

    @property
    def replica_stats(self) -> ReplicaStats | None:
        """Where batch resolution's records were answered (None without standbys)."""
        return None if self._replicas is None else self._replicas.stats

    @property
    def worker_name(self) -> str:
        return self._worker

    @property
    def sync_lookup_budget(self) -> int:
        """Inline EQC lookups this instance may still make."""
        return self._budget

    @property
    def inline_lookups_enabled(self) -> bool:
        return self._enabled and not self._inline_disabled

    # ---------------------------------------------------------------------------------------- resolution

    def resolve_company_id(
        self,
        *,
        plan_code: str | None = None,
        customer_name: str | None = None,
        account_name: str | None = None,
        account_number: str | None = None,
        sync_lookup_budget: int | None = None,
    ) -> CompanyIdResult:
        """Resolve one record; a pending name is looked up in EQC at once while budget remains.

        ``sync_lookup_budget`` gives this call a budget of its own instead of spending the instance's.
        EQC errors never escape: the request stays queued and the answer is pending_lookup.
        """
        record = CompanyRecord(
            plan_code=plan_code, customer_name=customer_name, account_name=account_name, account_number=account_number
        )
        result = self._db.resolve_company_id(**record.model_dump())
        if result.status is not ResolutionStatus.PENDING_LOOKUP or result.request_id is None:
            return result
        allowance = [sync_lookup_budget] if sync_lookup_budget is not None else None
        if self._lookup_inline(result.request_id, allowance) in (LookupOutcome.FOUND, LookupOutcome.NOT_FOUND):
            return self._db.resolve_company_id(**record.model_dump())
        return result

    def resolve_batch(
        self, records: Sequence[CompanyRecord], *, sync_lookup_budget: int | None = None, jobs: int = 1
    ) -> list[CompanyIdResult]:
        """One set-based SQL call, then inline lookups for at most the budget's distinct pending names, in order.

        ``jobs`` > 1 splits the records into ``jobs`` chunks resolved at once over as many pooled connections, in
        input order, with exactly the answers of one call (see :meth:`resolve_columns`)."""
        rows = self.resolve_columns(
            RecordColumns.from_records(records), sync_lookup_budget=sync_lookup_budget, jobs=jobs
        )
        return [to_result(row) for row in rows]

    def resolve_columns(
        self,
        columns: RecordColumns,
        *,
        sync_lookup_budget: int | None = None,
        jobs: int = 1,
        chunk_size: int | None = None,
    ) -> list[ResultRow]:
        """:meth:`resolve_batch` for columns, answering plain tuples (the hot path: no model per row).

        With ``jobs`` > 1 the SQL calls run on ``jobs`` threads, each on a pooled connection, over chunks of
        ``chunk_size`` (default: the records split evenly across the jobs); the answers are put back in input
        order and the inline lookups then run over them in order, as after one call. Concurrent chunks never
        mint two TEMP ids for one key nor queue a name twice: the SQL API takes its locks in key order.
        """
        check_jobs(jobs)
        size = len(columns)
        chunk = chunk_size or max(1, -(-size // jobs))
        if chunk >= size:
            rows = self._resolve_rows(columns)
        else:
            rows = []
            for part in self._resolve_chunks([columns.slice(a, b) for a, b in chunk_bounds(size, chunk)], jobs):
                rows.extend(part)
        allowance = [sync_lookup_budget] if sync_lookup_budget is not None else None
        return self._lookups_inline(columns, rows, allowance, set())

    def resolve_batches(
        self,
        batches: Iterable[RecordColumns],
        *,
        jobs: int = 1,
        preview: bool = False,
        sync_lookup_budget: int | None = None,
    ) -> Iterator[list[ResultRow]]:
        """Resolve a stream of batches, one SQL call each, ``jobs`` of them at once over pooled connections; yields
        each batch's answers in input order (``preview``: preview_company_ids, writing nothing, no lookups).

        The inline lookups run in the caller's thread, batch after batch in order, so ``jobs`` changes nothing in
        the answers: a pending row whose request an inline lookup of an earlier batch settled is asked again, as a
        one-connection run, which resolves batches one after another, would have found it settled. While the
        caller handles one batch's answers, the next batches are being resolved (with ``jobs=1`` too, on one
        connection), and ``batches`` is read only as far as ``jobs`` batches ahead.
        """
        check_jobs(jobs)
        allowance = [sync_lookup_budget] if sync_lookup_budget is not None else None
        settled: set[int] = set()
        for columns, rows in self._pipelined(batches, jobs, preview=preview):
            yield rows if preview else self._lookups_inline(columns, rows, allowance, settled)

    def _resolve_chunks(self, chunks: Sequence[RecordColumns], jobs: int) -> Iterator[list[ResultRow]]:
        for _, rows in self._pipelined(chunks, jobs, preview=False):
            yield rows

    def _pipelined(
        self, batches: Iterable[RecordColumns], jobs: int, *, preview: bool
    ) -> Iterator[tuple[RecordColumns, list[ResultRow]]]:
        """(batch, its SQL answers) in input order, with ``jobs`` SQL calls in flight on a pool of threads."""
        with ThreadPoolExecutor(max_workers=jobs, thread_name_prefix="resolve") as pool:
            in_flight: deque[tuple[RecordColumns, Future[list[ResultRow]]]] = deque()
            try:
                for columns in batches:
                    in_flight.append((columns, pool.submit(self._resolve_rows, columns, preview=preview)))
                    while len(in_flight) > jobs:
                        done, future = in_flight.popleft()
                        yield done, future.result()
                while in_flight:
                    done, future = in_flight.popleft()
                    yield done, future.result()
            finally:
                for _, future in in_flight:
                    future.cancel()

    def _resolve_rows(self, columns: RecordColumns, *, preview: bool = False) -> list[ResultRow]:
        """One batch's SQL answers: on the primary, or, with standbys, their final answers and the primary's for
        the rest (:meth:`.replicas.ReplicaRouter.resolve_rows`: the same answers)."""
        if self._replicas is None:
            return self._db.resolve_rows(columns, preview=preview)
        return self._replicas.resolve_rows(self._db, columns, preview=preview)

    def _lookups_inline(
        self, columns: RecordColumns, rows: list[ResultRow], allowance: list[int] | None, settled: set[int]
    ) -> list[ResultRow]:
        """Inline lookups for at most the budget's distinct pending names of one batch, in order; then the rows
        whose request was settled (now, or by an earlier batch of the same run: ``settled``) are asked again."""
        if not settled and not self._has_budget(allowance):
            return rows
        tried: set[int] = set()  # every id tried once per batch, claimable or not
        for row in rows:
            request_id = row[5]
            if row[1] != _PENDING or request_id is None or request_id in tried or request_id in settled:
                continue
            if not self._has_budget(allowance):
                break
            tried.add(request_id)
            if self._lookup_inline(request_id, allowance) in (LookupOutcome.FOUND, LookupOutcome.NOT_FOUND):
                settled.add(request_id)
        if not settled:
            return rows
        # Ask the database again for the rows whose names were settled.
        positions = [i for i, row in enumerate(rows) if row[5] is not None and row[5] in settled]
        if not positions:
            return rows
        # On the primary, always: it settled them a moment ago, a standby may not have replayed that yet.
        return self._db.resolve_rows_at(columns, rows, positions)

    def _has_budget(self, allowance: list[int] | None) -> bool:
        if not self.inline_lookups_enabled:
            return False
        if allowance is not None:
            return allowance[0] > 0
        with self._lock:
            return self._budget > 0

    def _take_budget(self, allowance: list[int] | None) -> bool:
        """Reserve one inline lookup from the per-call allowance, or else from the instance's budget."""
        if not self.inline_lookups_enabled:
            return False
        if allowance is not None:
            if allowance[0] <= 0:
                return False
            allowance[0] -= 1
            return True
        with self._lock:
            if self._budget <= 0:
                return False
            self._budget -= 1
            return True

    def _refund_budget(self, allowance: list[int] | None) -> None:
        if allowance is not None:
            allowance[0] += 1
        else:
            with self._lock:
                self._budget += 1

    def _lookup_inline(self, request_id: int, allowance: list[int] | None) -> LookupOutcome | None:
        """Claim that very request (shared dedupe with the workers) and settle it; None if it was not claimable
        or no budget is left. A unit of budget is spent only when the request was claimed, i.e. on a search made:
        it is reserved before the claim (so concurrent callers cannot overspend) and given back when nothing was
        claimed."""
        if not self._take_budget(allowance):
            return None
        try:
            request = self._db.claim_lookup(request_id, self._worker, lease=self._lease)
        except BaseException:
            self._refund_budget(allowance)
            raise
        if request is None:
            self._refund_budget(allowance)
            return None
        try:
            return self.settle(request)
        except EQCAuthenticationError:
            logger.error("EQC refused the token: inline lookups are disabled for this service instance")
            self._inline_disabled = True
            return None

    # ------------------------------------------------------------------------------------------- worker

    def process_lookup_queue(
        self,
        *,
        batch_size: int | None = None,
        max_requests: int | None = None,
        stop: threading.Event | None = None,
        stats: QueueRunStats | None = None,
    ) -> QueueRunStats:
        """Claim, look up and settle requests until nothing is due (or max_requests, or ``stop`` is set).

        No transaction is held across an HTTP call. The leases held are renewed while the worker works, and it
        claims no more than it can look up within a lease at its share of the EQC rate. On an EQC authentication
        error, when ``stop`` is set (every wait wakes on it), or on any error, the requests still held are released
        without spending an attempt. ``stats``, when given, is filled in place (so it is there after an error).
        """
        stats = stats if stats is not None else QueueRunStats()
        size = batch_size or self._batch_size
        if not 1 <= size <= 500:
            raise ValueError("batch_size must be between 1 and 500")
        if not self._enabled:
            logger.warning("EQC lookups are disabled (WDH_COMPANY_ENRICHMENT_ENABLED=false or no EQC client)")
            return stats

        def wanted() -> int:
            if stop is not None and stop.is_set():
                return 0
            want = size if max_requests is None else max(0, min(size, max_requests - stats.claimed))
            return min(want, self._claim_cap(size))

        # The EQC search runs on a helper thread, so this one can settle held answers and renew leases on time
        # whatever the search does (retries, Retry-After, waiting for a rate-limit slot).
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"eqc-{self._worker}") as searcher:
            run = _BatchRun(self, stats, stop, searcher)
            try:
                batch = run.fit(self._complete([], claim_next=wanted())[1])
                while batch:
                    stats.claimed += len(batch)
                    if not run.look_up(batch):
                        break
                    # Settle what is left and claim the next batch in one transaction.
                    batch = run.fit(run.settle(claim_next=wanted()))
            except BaseException:
                run.abandon()
                raise
        return stats

    def _claim_cap(self, size: int) -> int:
        """How many requests one claim may take: what this worker can look up within a lease at its EQC rate."""
        if self._rate is None or self._known_lease is None:
            return size
        cap = max(1, int(self._known_lease.total_seconds() * self._rate / 60.0))
        if cap < size and not self._warned_cap:
            self._warned_cap = True
            logger.warning(
                "a batch of %d at %.4g EQC lookups a minute (this worker's share) takes longer than the %.0f s lease:"
                " claiming %d at a time instead",
                size,
                self._rate,
                self._known_lease.total_seconds(),
                cap,
            )
        return min(size, cap)

    def _learn_lease(self, batch: Sequence[LookupRequest]) -> None:
        """The lease the database gave (its default unless ours was set): a claim sets updated_at = now() and
        lease_expires_at = now() + lease in one statement."""
        if self._lease is None and batch and batch[0].lease_expires_at is not None:
            self._known_lease = batch[0].lease_expires_at - batch[0].updated_at

    def _settle(self, answers: Sequence[_Answer], stats: QueueRunStats, *, claim_next: int = 0) -> list[LookupRequest]:
        """Settle answers, count the outcomes; with ``claim_next``, return the next batch claimed with them."""
        outcomes, claimed = self._complete(answers, claim_next=claim_next)
        for outcome in outcomes:
            self._count(stats, outcome)
        return claimed

    def release_held(self) -> int:
        """Give back every request this worker holds (after a lost connection, say); returns how many."""
        return self._db.release_lookups(self._worker)

    def _release(self, requests: Iterable[LookupRequest]) -> int:
        ids = [r.id for r in requests]
        return self._db.release_lookups(self._worker, ids) if ids else 0

    @staticmethod
    def _count(stats: QueueRunStats, outcome: LookupOutcome) -> None:
        match outcome:
            case LookupOutcome.FOUND:
                stats.found += 1
            case LookupOutcome.NOT_FOUND:
                stats.not_found += 1
            case LookupOutcome.RETRIED:
                stats.retried += 1
            case LookupOutcome.FAILED:
                stats.failed += 1
            case LookupOutcome.REVIEW:
                stats.review += 1
            case LookupOutcome.LOST:
                stats.lost += 1
            case LookupOutcome.RELEASED:
                stats.released += 1

    # ------------------------------------------------------------------------------------ one request

    def settle(self, request: LookupRequest) -> LookupOutcome:
        """Look one claimed request up in EQC (one search) and report the answer to the database at once.

        Raises EQCAuthenticationError after releasing the request (no attempt spent).
        """
        answer = self._lookup(request)
        if isinstance(answer, LookupOutcome):
            return answer
        return self._complete([answer])[0][0]

    def _lookup(self, request: LookupRequest, stop: threading.Event | None = None) -> _Answer | LookupOutcome:
        """One EQC search for a claimed request: the answer to settle, or the outcome of a failed attempt
        (RELEASED when ``stop`` was set while the client waited: no attempt spent)."""
        assert self._eqc is not None
        try:
            # EQC is searched with the normalized name: status decorations, quotes and stray whitespace would
            # only confuse its search, and it is the key the queue dedupes on (one search per name).
            candidates = self._eqc.search_company(request.normalized_name, stop=stop)
        except EQCAuthenticationError:
            self._db.release_lookups(self._worker, [request.id])
            raise
        except EQCStoppedError:
            self._db.release_lookups(self._worker, [request.id])
            return LookupOutcome.RELEASED
        except EQCNotFoundError:
            candidates = []
        except EQCRateLimitError as exc:
            retry_after = None
            if exc.retry_after is not None:
                # A Retry-After past any sensible wait (1e13 s) would not fit a timestamp: cap it.
                cap = self._max_retry_after.total_seconds()
                retry_after = timedelta(seconds=min(exc.retry_after, cap))
            return self._fail(request, f"EQC rate limit: {exc}", retry_after)
        except EQCClientError as exc:
            return self._fail(request, f"EQC error: {exc}", None)
        return _Answer(request, candidates)

    def _complete(
        self, answers: Sequence[_Answer], *, claim_next: int = 0
    ) -> tuple[list[LookupOutcome], list[LookupRequest]]:
        """Hand EQC's answers to the database in one transaction, which scores them and settles, sends to review or
        (an invalid answer) fails each request; with ``claim_next`` it claims the next batch in the same transaction.
        """
        if not answers:
            if claim_next <= 0:
                return [], []
            return [], self._db.claim_lookups(claim_next, self._worker, lease=self._lease, max_attempts=self._retry_max)
        rows = self._db.settle_lookups(
            self._worker,
            [a.request.id for a in answers],
            [[c.raw for c in a.candidates] for a in answers],
            claim_next=claim_next,
            lease=self._lease,
            max_attempts=self._retry_max,
        )
        outcomes: dict[int, LookupOutcome] = {}
        claimed: list[LookupRequest] = []
        for row in rows:
            if row.status == "processing":
                claimed.append(row)
            elif row.status == "done" and row.outcome:
                outcomes[row.id] = LookupOutcome(row.outcome)
            elif row.status == "review":
                outcomes[row.id] = LookupOutcome.REVIEW
            else:  # the answer was unusable: a failed attempt (pending again, or failed), last_error says why
                outcomes[row.id] = LookupOutcome.FAILED if row.status == "failed" else LookupOutcome.RETRIED
                logger.warning(
                    "EQC's answer for request %d was unusable: %s",
                    row.id,
                    row.last_error,
                    extra={"request_id": row.id, "outcome": outcomes[row.id].value},
                )
        for request_id, outcome in outcomes.items():
            logger.info(
                "request %d settled: %s",
                request_id,
                outcome.value,
                extra={"request_id": request_id, "outcome": outcome.value},
            )
        lost = [a.request.id for a in answers if a.request.id not in outcomes]
        if lost:
            logger.warning("request(s) %s were taken over before they could be settled", lost)
        return [outcomes.get(a.request.id, LookupOutcome.LOST) for a in answers], claimed

    def _fail(self, request: LookupRequest, error: str, retry_after: timedelta | None) -> LookupOutcome:
        try:
            row = self._db.fail_lookup(
                request.id,
                self._worker,
                error[:2000],
                retry_after=retry_after,
                max_attempts=self._retry_max,
                backoff_base=self._retry_delay,
            )
        except LeaseLostError:
            return LookupOutcome.LOST
        outcome = LookupOutcome.FAILED if row.status == "failed" else LookupOutcome.RETRIED
        logger.warning(
            "lookup of request %d failed (attempt %d): %s",
            request.id,
            row.attempts,
            error,
            extra={"request_id": request.id, "outcome": outcome.value},
        )
        return outcome


class _BatchRun:
    """One worker's pass over its claimed batches: the answers it holds, when to settle them, lease renewals.

    Runs on the worker's thread; each EQC search runs on ``searcher`` while this thread waits for it with a
    timeout, waking to settle held answers (at most ``settle_interval`` after the first) and to renew leases.
    """

    def __init__(
        self,
        service: CompanyEnrichmentService,
        stats: QueueRunStats,
        stop: threading.Event | None,
        searcher: ThreadPoolExecutor,
    ) -> None:
        self._service = service
        self._stats = stats
        self._stop = stop
        self._searcher = searcher
        self._answers: list[_Answer] = []
        self._first_answer_at = 0.0
        self._renew_at = time.monotonic()

    def _stopped(self) -> bool:
        return self._stop is not None and self._stop.is_set()

    def fit(self, batch: list[LookupRequest]) -> list[LookupRequest]:
        """Learn the lease from a fresh claim and give back what cannot be looked up within it."""
        svc = self._service
        svc._learn_lease(batch)
        self._renew_at = time.monotonic() + self._renew_every()
        cap = svc._claim_cap(len(batch)) if batch else 0
        if len(batch) > cap:
            svc._release(batch[cap:])
            batch = batch[:cap]
        return batch

    def _renew_every(self) -> float:
        lease = self._service._known_lease
        return lease.total_seconds() / 3 if lease is not None else 60.0

    def look_up(self, batch: Sequence[LookupRequest]) -> bool:
        """Look a claimed batch up; returns whether to carry on. Answers are held until :meth:`settle`, or
        ``settle_interval`` after the first of them, whichever comes first. On a stop request or an EQC
        authentication error, what was answered is settled and the rest released (no attempt spent)."""
        svc, stats = self._service, self._stats
        for index, request in enumerate(batch):
            if self._stopped():
                self.settle()
                stats.released += svc._release(batch[index:])
                return False
            self._renew_if_due()
            try:
                answer = self._wait_for(self._searcher.submit(svc._lookup, request, self._stop))
            except EQCAuthenticationError:
                self.settle()
                stats.auth_failed = True
                stats.released += 1 + svc._release(batch[index + 1 :])
                logger.error("EQC refused the token: released %d request(s) and stopped", len(batch) - index)
                return False
            if isinstance(answer, LookupOutcome):
                svc._count(stats, answer)
                continue
            if not self._answers:
                self._first_answer_at = time.monotonic()
            self._answers.append(answer)
            self._settle_if_due()
        return True

    def _wait_for(self, future: Future[_Answer | LookupOutcome]) -> _Answer | LookupOutcome:
        while True:
            deadline = self._renew_at
            if self._answers:
                deadline = min(deadline, self._first_answer_at + self._service._settle_interval)
            try:
                return future.result(timeout=max(0.0, deadline - time.monotonic()))
            except TimeoutError:
                self._settle_if_due()
                self._renew_if_due()

    def _settle_if_due(self) -> None:
        if self._answers and time.monotonic() - self._first_answer_at >= self._service._settle_interval:
            self.settle()

    def _renew_if_due(self) -> None:
        if time.monotonic() >= self._renew_at:
            svc = self._service
            renewed = svc._db.renew_lookup_leases(svc._worker, lease=svc._lease)
            logger.debug("renewed %d lease(s) of %s", len(renewed), svc._worker)
            self._renew_at = time.monotonic() + self._renew_every()

    def settle(self, *, claim_next: int = 0) -> list[LookupRequest]:
        """Settle the held answers (and claim the next batch in the same transaction, with ``claim_next``)."""
        answers, self._answers = self._answers, []
        settled = self._service._settle(answers, self._stats, claim_next=claim_next)
        if answers and self._service._on_settled is not None:
            self._service._on_settled(time.monotonic() - self._first_answer_at)
        return settled

    def abandon(self) -> None:
        """After an error: settle what was answered if the database lets us, and release everything held."""
        svc = self._service
        try:
            self.settle()
        except Exception as exc:
            logger.warning("could not settle %d answer(s) after an error: %s", len(self._answers), exc)
        try:
            self._stats.released += svc.release_held()
        except Exception as exc:
            logger.warning("could not release the requests of %s after an error: %s", svc._worker, exc)
