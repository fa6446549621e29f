"""Dagster integration: a resource, ops, a job and a schedule (the optional extra ``company-enrichment[dagster]``).

* :class:`CompanyEnrichmentResource` builds the pool, the EQC client (paced by the shared
  :class:`~company_enrichment.ratelimit.DatabaseRateLimiter`) and a
  :class:`~company_enrichment.service.CompanyEnrichmentService` once per run, with the ``WDH_`` settings for every
  field left unset, and closes them when the run ends. Its inline-lookup budget is the run's.
* :data:`resolve_company_ids_op` resolves a table of records (any iterable of mappings with the keys
  ``plan_code``, ``customer_name``, ``account_name``, ``account_number``, or a pandas or polars DataFrame with
  such columns) with the set-based path; with ``plan_only`` it reports what the database would answer and writes
  nothing. Given a DataFrame it outputs one (:func:`company_enrichment.frames.resolve_frame`, which also adds
  ``request_id``).
* :data:`process_lookup_queue_op`, :data:`process_company_lookup_queue_job` and
  :data:`process_company_lookup_queue_schedule` (hourly, stopped until switched on) drain the lookup queue.

EQC errors never fail a run: resolution keeps a name queued, and the queue op reports an EQC authentication error
as ``auth_failed`` in its metadata. Database errors fail the step with a :class:`dagster.Failure` carrying the
SQLSTATE, message, detail and hint (:func:`database_failure`).
"""

# No ``from __future__ import annotations`` here: Dagster reads the ops' annotations at definition time to find
# their config and resource parameters.

import math
from collections import Counter, deque
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, Final

import dagster as dg
from pydantic import Field, PrivateAttr

from .columns import RecordColumns
from .db import EnrichmentDB
from .eqc import EQCClient
from .errors import ConcurrencyError, ConfigurationError, DatabaseError, DatabaseUnavailableError
from .frames import is_frame, resolve_frame
from .gcpause import cyclic_gc_paused
from .models import QueueRunStats, ReplicaStats, ResolutionStatus
from .ratelimit import DatabaseRateLimiter
from .replicas import ReplicaRouter, replicas_from_settings
from .service import MAX_JOBS, CompanyEnrichmentService, check_jobs, default_worker_name
from .settings import Settings, load_settings

__all__ = [
    "RECORD_FIELDS",
    "RESOURCE_KEY",
    "RESULT_FIELDS",
    "CompanyEnrichmentResource",
    "ProcessLookupQueueConfig",
    "ResolutionReport",
    "ResolveCompanyIdsConfig",
    "database_failure",
    "process_company_lookup_queue_job",
    "process_company_lookup_queue_schedule",
    "process_lookup_queue_op",
    "resolve_company_ids_op",
]

#: The key the ops expect the resource under: ``Definitions(resources={RESOURCE_KEY: CompanyEnrichmentResource()})``.
RESOURCE_KEY: Final = "company_enrichment"
#: The keys of a record that resolution reads (a missing key counts as absent).
RECORD_FIELDS: Final = ("plan_code", "customer_name", "account_name", "account_number")
#: The keys resolution adds to each record.
RESULT_FIELDS: Final = ("company_id", "status", "source", "match_type", "temp_id")

_QUEUE_COUNTS: Final = ("claimed", "found", "not_found", "review", "retried", "failed", "released", "lost")


# ------------------------------------------------------------------------------------------------ errors


def database_failure(exc: DatabaseError) -> dg.Failure:
    """A :class:`dagster.Failure` with the database's SQLSTATE, message, detail and hint.

    Retries (an op's ``RetryPolicy``) are allowed only for errors where retrying is safe: the database was
    unreachable, or a serialization failure or deadlock.
    """
    code = f" [{exc.sqlstate}]" if exc.sqlstate else ""
    lines = [f"database error{code}: {exc.message}"]
    if exc.detail:
        lines.append(f"DETAIL: {exc.detail}")
    if exc.hint:
        lines.append(f"HINT: {exc.hint}")
    return dg.Failure(
        description="\n".join(lines),
        metadata={
            "sqlstate": exc.sqlstate,
            "message": exc.message,
            "detail": exc.detail,
            "hint": exc.hint,
            "error": type(exc).__name__,
        },
        allow_retries=isinstance(exc, DatabaseUnavailableError | ConcurrencyError),
    )


@contextmanager
def _database_errors_fail_the_step() -> Iterator[None]:
    try:
        yield
    except DatabaseError as exc:
        raise database_failure(exc) from exc


# ------------------------------------------------------------------------------------------------ resource


@dataclass
class ResolutionReport:
    """What one resolution (or plan-only preview) of a table gave."""

    records: list[dict[str, Any]]
    """The input records, each a new dict with :data:`RESULT_FIELDS` added (status as a plain string)."""
    counts: dict[str, int] = field(default_factory=dict)
    """Records per status, every status present (zeros included)."""
    plan_only: bool = False
    inline_lookups_left: int | None = None
    """The run's inline EQC budget after this resolution (None for a plan-only preview)."""
    records_from_replica: int | None = None
    """With standbys (replica_uris): the records whose answer a standby gave (None without standbys)."""
    records_to_primary: int | None = None
    """With standbys: the records that reached the primary (None without standbys)."""

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    def summary(self) -> str:
        by_status = ", ".join(f"{status} {count}" for status, count in self.counts.items())
        if self.plan_only:
            return f"plan only, nothing written: {self.total} records would resolve as {by_status}"
        return f"resolved {self.total} records: {by_status}"

    def metadata(self) -> dict[str, Any]:
        """Output metadata: the counts per status, the total, plan_only and the budget left."""
        data: dict[str, Any] = dict(self.counts)
        data["records"] = self.total
        data["plan_only"] = self.plan_only
        if self.inline_lookups_left is not None:
            data["inline_lookups_left"] = self.inline_lookups_left
        if self.records_to_primary is not None:
            data["records_from_replica"] = self.records_from_replica
            data["records_to_primary"] = self.records_to_primary
        return data


# ConfigurableResource is generic in what it yields, which for this kind of resource is the resource itself.
class CompanyEnrichmentResource(dg.ConfigurableResource):  # type: ignore[type-arg]
    """The company-enrichment service for one run: a connection pool, an EQC client and the run's budget.

    Every field left unset (None) takes its value from the ``WDH_`` settings (environment or ``.env``). Give the
    token as ``EnvVar("WDH_EQC_TOKEN")`` (or leave it unset) so that its value stays out of Dagster's UI; the
    resource never logs it and hides it from its repr.
    """

    database_uri: str | None = Field(default=None, description="libpq URI (default WDH_DATABASE__URI).")
    eqc_base_url: str | None = Field(default=None, description="EQC's base URL (default WDH_EQC_BASE_URL).")
    eqc_token: str | None = Field(
        default=None, repr=False, description="EQC token, secret: use EnvVar (default WDH_EQC_TOKEN)."
    )
    eqc_timeout: float | None = Field(default=None, description="Seconds per EQC request (default WDH_EQC_TIMEOUT).")
    eqc_rate_limit: int | None = Field(
        default=None, description="EQC requests a minute across all processes (default WDH_EQC_RATE_LIMIT)."
    )
    eqc_retry_max: int | None = Field(
        default=None, description="Retries of a transient EQC failure (default WDH_EQC_RETRY_MAX)."
    )
    sync_lookup_budget: int | None = Field(
        default=None, description="Inline EQC lookups for the whole run (default WDH_COMPANY_SYNC_LOOKUP_LIMIT)."
    )
    enabled: bool | None = Field(
        default=None, description="False: never call EQC (default WDH_COMPANY_ENRICHMENT_ENABLED)."
    )
    pool_max_size: int = Field(default=4, ge=1, le=64, description="Connections in the pool at most.")
    replica_uris: list[str] | None = Field(
        default=None,
        description="Hot standbys that answer resolution's reads, libpq URIs (default WDH_DATABASE__REPLICA_URIS); "
        "each gets a pool of pool_max_size connections at most.",
    )
    replica_max_wait: float | None = Field(
        default=None,
        description="Seconds a chunk waits for a standby to catch up with the primary before it goes to the "
        "primary alone (default WDH_REPLICA_MAX_WAIT).",
    )

    _settings: Settings | None = PrivateAttr(default=None)
    _db: EnrichmentDB | None = PrivateAttr(default=None)
    _eqc: EQCClient | None = PrivateAttr(default=None)
    _service: CompanyEnrichmentService | None = PrivateAttr(default=None)
    _replicas: ReplicaRouter | None = PrivateAttr(default=None)

    # -- lifecycle

    def setup_for_execution(self, context: dg.InitResourceContext) -> None:
        settings = self._load_settings()
        if not settings.database.uri:
            raise dg.Failure(
                description="company enrichment: no database: set database_uri on the resource or WDH_DATABASE__URI"
            )
        uri = settings.database.uri
        with _database_errors_fail_the_step():
            db = EnrichmentDB.connect(
                uri,
                max_size=self.pool_max_size,
                changed_by=settings.changed_by,
                transaction_pooling=settings.database.transaction_pooling,
            )
        replicas = None
        try:
            replicas = replicas_from_settings(settings, pool_max_size=self.pool_max_size)
            eqc = self._eqc_client(settings, db, context)
            run = context.run.run_id[:8] if context.run is not None else "norun"
            worker = f"{default_worker_name()}:dagster:{run}"
            self._service = CompanyEnrichmentService(
                db,
                eqc,
                sync_lookup_budget=settings.company_sync_lookup_limit,
                worker_name=worker,
                batch_size=settings.lookup_queue_batch_size,
                lookup_retry_max=settings.lookup_retry_max,
                lookup_retry_delay=timedelta(seconds=settings.lookup_retry_delay),
                enabled=settings.company_enrichment_enabled,
                replicas=replicas,
            )
        except BaseException:
            if replicas is not None:
                replicas.close()
            db.close()
            raise
        self._settings, self._db, self._eqc, self._replicas = settings, db, eqc, replicas

    def teardown_after_execution(self, context: dg.InitResourceContext) -> None:
        eqc, db, replicas = self._eqc, self._db, self._replicas
        self._service = self._eqc = self._db = self._replicas = None
        try:
            if eqc is not None:
                eqc.close()
        finally:
            if replicas is not None:
                replicas.close()
            if db is not None:
                db.close()

    def _load_settings(self) -> Settings:
        overrides: dict[str, object] = {
            name: value
            for name, value in {
                "eqc_base_url": self.eqc_base_url,
                "eqc_token": self.eqc_token,
                "eqc_timeout": self.eqc_timeout,
                "eqc_rate_limit": self.eqc_rate_limit,
                "eqc_retry_max": self.eqc_retry_max,
                "company_sync_lookup_limit": self.sync_lookup_budget,
                "company_enrichment_enabled": self.enabled,
            }.items()
            if value is not None
        }
        if self.replica_max_wait is not None:
            overrides["replica_max_wait"] = self.replica_max_wait
        # The resource's database fields win; those it leaves unset come from WDH_DATABASE__* (merged field by field).
        database: dict[str, object] = {}
        if self.database_uri is not None:
            database["uri"] = self.database_uri
        if self.replica_uris is not None:
            database["replica_uris"] = tuple(self.replica_uris)
        if database:
            overrides["database"] = database
        try:
            return load_settings(**overrides)
        except ConfigurationError as exc:
            # The message names the setting, never a value of the token.
            raise dg.Failure(description=f"company enrichment: {exc}") from None

    @staticmethod
    def _eqc_client(settings: Settings, db: EnrichmentDB, context: dg.InitResourceContext) -> EQCClient | None:
        log = context.log or dg.get_dagster_logger()
        if not settings.company_enrichment_enabled:
            log.info("EQC lookups are disabled (enabled=False / WDH_COMPANY_ENRICHMENT_ENABLED=false)")
            return None
        token = settings.eqc_token.get_secret_value().strip() if settings.eqc_token is not None else ""
        if not token:
            log.warning("no EQC token (eqc_token / WDH_EQC_TOKEN): no EQC lookups will be made")
            return None
        try:
            return EQCClient(
                settings.eqc_base_url,
                token,
                timeout=settings.eqc_timeout,
                rate_limit_per_minute=settings.eqc_rate_limit,
                retry_max=settings.eqc_retry_max,
                rate_limiter=DatabaseRateLimiter(db, settings.eqc_rate_limit),
            )
        except ValueError as exc:  # the messages never carry the token
            raise dg.Failure(description=f"company enrichment: invalid EQC settings: {exc}") from None

    # -- what the ops (and assets) use

    @property
    def service(self) -> CompanyEnrichmentService:
        if self._service is None:
            raise RuntimeError("CompanyEnrichmentResource is used outside a Dagster run (it was not set up)")
        return self._service

    @property
    def db(self) -> EnrichmentDB:
        if self._db is None:
            raise RuntimeError("CompanyEnrichmentResource is used outside a Dagster run (it was not set up)")
        return self._db

    @property
    def eqc_enabled(self) -> bool:
        """Whether EQC lookups are switched on (enabled flag / WDH_COMPANY_ENRICHMENT_ENABLED)."""
        return self._settings is not None and self._settings.company_enrichment_enabled

    @property
    def has_eqc_client(self) -> bool:
        """Whether this run can call EQC at all (enabled, and a token was given)."""
        return self._eqc is not None

    def resolve_records(
        self,
        records: Iterable[Mapping[str, Any]],
        *,
        plan_only: bool = False,
        chunk_size: int = 5_000,
        jobs: int = 1,
    ) -> ResolutionReport:
        """Resolve ``records`` in chunks of ``chunk_size`` with the set-based path, spending the run's budget.

        ``jobs`` chunks are resolved at once, each on a pooled connection (at most ``pool_max_size``; a larger
        value is lowered to it with a warning); the answers are the same for any ``jobs`` and keep the input order.
        With ``plan_only`` nothing is resolved: each record gets what the database would answer now, computed
        without writing (nothing queued, no TEMP id minted; ids resolution would create are None), and EQC is
        not called. Raises :class:`dagster.Failure` on a database error.
        """
        if not 1 <= chunk_size <= 100_000:
            raise ValueError("chunk_size must be between 1 and 100000")
        jobs = self._jobs(jobs)
        service = self.service
        chunks: deque[list[Mapping[str, Any]]] = deque()

        def batches() -> Iterator[RecordColumns]:
            for chunk in _chunks(records, chunk_size):
                chunks.append([row for _, row in chunk])
                yield _record_columns(chunk)

        out: list[dict[str, Any]] = []
        counts: Counter[str] = Counter({status.value: 0 for status in ResolutionStatus})
        before = service.replica_stats
        with _database_errors_fail_the_step(), cyclic_gc_paused():
            for results in service.resolve_batches(batches(), jobs=jobs, preview=plan_only):
                rows = chunks.popleft()
                if len(results) != len(rows):
                    raise RuntimeError(f"the database answered {len(results)} rows for {len(rows)} records")
                counts.update(result[1] for result in results)
                out.extend(
                    {
                        **row,
                        "company_id": result[0],
                        "status": result[1],
                        "source": result[2],
                        "match_type": result[3],
                        "temp_id": result[4],
                    }
                    for row, result in zip(rows, results, strict=True)
                )
        return _with_replica_counts(
            ResolutionReport(
                records=out,
                counts=dict(counts),
                plan_only=plan_only,
                inline_lookups_left=None if plan_only else service.sync_lookup_budget,
            ),
            before,
            service.replica_stats,
        )

    def resolve_frame(
        self, df: Any, *, plan_only: bool = False, chunk_size: int = 5_000, jobs: int = 1
    ) -> tuple[Any, ResolutionReport]:
        """:meth:`resolve_records` for a pandas or polars DataFrame: the frame with the result columns added (see
        :func:`company_enrichment.frames.resolve_frame`) and a report whose ``records`` is empty."""
        jobs = self._jobs(jobs)
        service = self.service
        before = service.replica_stats
        with _database_errors_fail_the_step(), cyclic_gc_paused():
            out = resolve_frame(df, service_or_db=service, plan_only=plan_only, jobs=jobs, chunk_size=chunk_size)
        counts: Counter[str] = Counter({status.value: 0 for status in ResolutionStatus})
        counts.update(out["status"].to_list())
        report = ResolutionReport(
            records=[],
            counts=dict(counts),
            plan_only=plan_only,
            inline_lookups_left=None if plan_only else service.sync_lookup_budget,
        )
        return out, _with_replica_counts(report, before, service.replica_stats)

    def _jobs(self, jobs: int) -> int:
        check_jobs(jobs)
        if jobs > self.pool_max_size:
            dg.get_dagster_logger().warning(
                f"jobs {jobs} is more than pool_max_size {self.pool_max_size}: resolving {self.pool_max_size} "
                "chunks at once"
            )
            return self.pool_max_size
        return jobs

    def process_lookup_queue(self, *, batch_size: int = 50, max_requests: int | None = None) -> QueueRunStats:
        """Drain what is due in the lookup queue (or ``max_requests`` of it); see the service's method.

        Requests still held when the step is interrupted or fails are released without spending an attempt.
        Raises :class:`dagster.Failure` on a database error; an EQC authentication error is reported in the
        stats (``auth_failed``), not raised.
        """
        service = self.service
        with _database_errors_fail_the_step():
            try:
                return service.process_lookup_queue(batch_size=batch_size, max_requests=max_requests)
            except BaseException:
                self._release_held(service)
                raise

    def _release_held(self, service: CompanyEnrichmentService) -> None:
        # The error being raised says more than a failed release would; an unreleased lease expires by itself.
        with suppress(DatabaseError):
            self.db.release_lookups(service.worker_name)


def _with_replica_counts(
    report: ResolutionReport, before: ReplicaStats | None, after: ReplicaStats | None
) -> ResolutionReport:
    """The report with where its records were answered (the standbys' counts during it), when there are standbys."""
    if before is not None and after is not None:
        report.records_from_replica = after.records_from_replica - before.records_from_replica
        report.records_to_primary = after.records_to_primary - before.records_to_primary
    return report


def _text(value: Any) -> str | None:
    """A record's value as the SQL API wants it: None, or text (NaN, as pandas writes a gap, counts as absent)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    return value if isinstance(value, str) else str(value)


def _record_columns(chunk: list[tuple[int, Mapping[str, Any]]]) -> RecordColumns:
    """A chunk's record fields, column by column (a field no record of the chunk has is None)."""
    for position, row in chunk:
        if not isinstance(row, Mapping):
            raise TypeError(f"record {position} is a {type(row).__name__}, not a mapping of column names to values")
    columns = [[_text(row.get(name)) for _, row in chunk] for name in RECORD_FIELDS]
    plan, customer, account_name, account_number = (
        None if all(v is None for v in column) else column for column in columns
    )
    return RecordColumns(plan, customer, account_name, account_number)


def _chunks(records: Iterable[Mapping[str, Any]], size: int) -> Iterator[list[tuple[int, Mapping[str, Any]]]]:
    chunk: list[tuple[int, Mapping[str, Any]]] = []
    for position, row in enumerate(records, start=1):
        chunk.append((position, row))
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


# ------------------------------------------------------------------------------------------------ resolution


class ResolveCompanyIdsConfig(dg.Config):
    plan_only: bool = Field(
        default=False,
        description="Resolve nothing: report what the database would answer, writing nothing (no EQC call).",
    )
    chunk_size: int = Field(default=5_000, ge=1, le=100_000, description="Records per SQL call.")
    jobs: int = Field(
        default=1,
        ge=1,
        le=MAX_JOBS,
        description="Chunks resolved at once, each on its own pooled connection (at most the resource's "
        "pool_max_size); the answers are the same for any value.",
    )


@dg.op(
    ins={
        "records": dg.In(
            dagster_type=dg.Any,
            description="An iterable of mappings with keys plan_code, customer_name, account_name, account_number, "
            "or a pandas or polars DataFrame with such columns.",
        )
    },
    out=dg.Out(
        dagster_type=dg.Any,
        description="The records, each with company_id, status, source, match_type and temp_id added; given a "
        "DataFrame, the same kind of frame with those columns and request_id added.",
    ),
    description="Resolve records to company ids (set-based, the run's inline EQC budget); plan_only writes nothing.",
)
def resolve_company_ids_op(
    context: dg.OpExecutionContext,
    config: ResolveCompanyIdsConfig,
    company_enrichment: CompanyEnrichmentResource,
    records: Any,
) -> Any:
    output: Any
    if is_frame(records):
        output, report = company_enrichment.resolve_frame(
            records, plan_only=config.plan_only, chunk_size=config.chunk_size, jobs=config.jobs
        )
    else:
        report = company_enrichment.resolve_records(
            records, plan_only=config.plan_only, chunk_size=config.chunk_size, jobs=config.jobs
        )
        output = report.records
    context.log.info(report.summary())
    context.add_output_metadata(report.metadata())
    return output


# ------------------------------------------------------------------------------------------------ queue


class ProcessLookupQueueConfig(dg.Config):
    batch_size: int = Field(default=50, ge=1, le=500, description="Requests claimed at a time (1..500).")
    max_requests: int | None = Field(default=None, ge=1, description="Stop after claiming this many (default: all).")


@dg.op(
    out=dg.Out(
        description="The run's counts: claimed, found, not_found, review, retried, failed, released, lost, auth_failed"
    ),
    description="Claim due lookup requests, search EQC once per name, settle them; EQC errors never fail the step.",
)
def process_lookup_queue_op(
    context: dg.OpExecutionContext,
    config: ProcessLookupQueueConfig,
    company_enrichment: CompanyEnrichmentResource,
) -> dict[str, Any]:
    if not company_enrichment.eqc_enabled:
        context.log.warning("EQC lookups are disabled: the lookup queue was left alone")
        stats = QueueRunStats()
    elif not company_enrichment.has_eqc_client:
        raise dg.Failure(
            description="the lookup queue needs EQC: set eqc_token on the resource (EnvVar) or WDH_EQC_TOKEN",
        )
    else:
        stats = company_enrichment.process_lookup_queue(batch_size=config.batch_size, max_requests=config.max_requests)
    counts = ", ".join(f"{name} {getattr(stats, name)}" for name in _QUEUE_COUNTS)
    if stats.auth_failed:
        context.log.error(
            f"EQC refused the token (401 or TokenExpired): {counts}; the requests held were released without "
            "spending an attempt. Set a fresh token; the next run picks them up."
        )
    else:
        context.log.info(f"lookup queue: {counts}")
    with _database_errors_fail_the_step():
        queue = company_enrichment.db.queue_stats()
    context.add_output_metadata(
        {
            **stats.model_dump(),
            "eqc_enabled": company_enrichment.eqc_enabled,
            "queue_pending": queue.pending,
            "queue_failed": queue.failed,
            "queue_review": queue.review,
        }
    )
    return stats.model_dump()


@dg.job(description="Drain the company lookup queue: EQC lookups for the names resolution queued.")
def process_company_lookup_queue_job() -> None:
    process_lookup_queue_op()


#: Hourly; stopped until switched on (in the UI, or ``dagster schedule start``).
process_company_lookup_queue_schedule: Final = dg.ScheduleDefinition(
    name="process_company_lookup_queue_schedule",
    job=process_company_lookup_queue_job,
    cron_schedule="0 * * * *",
    default_status=dg.DefaultScheduleStatus.STOPPED,
    description="Drain the company lookup queue every hour.",
)
