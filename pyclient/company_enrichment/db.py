"""The only module that talks to PostgreSQL.

It owns the connection pool (injected, or built by :meth:`EnrichmentDB.connect`), holds every SQL
statement of the package in :data:`SQL`, calls the SQL API's functions with named arguments, turns
rows into pydantic models, and maps database errors once, by SQLSTATE (:mod:`.errors`).

Every call runs in autocommit mode: each SQL function is its own transaction, so nothing here ever
holds a transaction open while the caller talks to EQC.

Session state. The pool keeps none that a pooler in transaction mode (PgBouncer ``pool_mode = transaction``) would
break, once told it is behind one (``transaction_pooling``, the setting WDH_DATABASE__TRANSACTION_POOLING): psycopg
then prepares no statements on the server (it would after 5 executions of one), and ``enrichment.changed_by`` is set
in each call's transaction instead of once per connection. The SQL API keeps no session state (no temporary tables,
no advisory locks, settings only ``SET LOCAL`` or per function). The one thing that needs a session is LISTEN: the
worker's listener connects on its own, to ``listen_uri`` (WDH_DATABASE__LISTEN_URI) when given.
"""

from __future__ import annotations

import logging
import math
import select
import time
import weakref
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import timedelta
from typing import Any, Final, TypeVar

import psycopg
from psycopg.conninfo import conninfo_to_dict
from psycopg.pq import TransactionStatus
from psycopg.rows import class_row, tuple_row
from psycopg.types.json import Jsonb
from psycopg_pool import ConnectionPool
from pydantic import BaseModel

from .columns import RecordColumns, ResultRow, to_result
from .errors import DatabaseUnavailableError, DecisionFailedError, InvalidInputError, map_database_error
from .models import (
    CompanyIdResult,
    CompanyProfile,
    CompanyRecord,
    ExplainStep,
    FailedLookup,
    LookupRequest,
    MappingChangeSet,
    MappingHistoryEntry,
    MappingLoadResult,
    MappingMatch,
    MappingRow,
    QueueStats,
    ReviewDecision,
    ReviewItem,
)

__all__ = ["SQL", "EnrichmentDB", "Listener"]

logger = logging.getLogger("company_enrichment.db")

_M = TypeVar("_M", bound=BaseModel)

LOOKUP_CHANNEL: Final = "enterprise_lookup"

#: Every statement the package sends, by name.
SQL: Final[dict[str, str]] = {
    "resolve_company_id": (
        "SELECT * FROM enterprise.resolve_company_id(plan_code => %(plan_code)s, customer_name => %(customer_name)s,"
        " account_name => %(account_name)s, account_number => %(account_number)s)"
    ),
    "resolve_company_ids": (
        "SELECT company_id, status, source, match_type, temp_id, request_id"
        " FROM enterprise.resolve_company_ids(plan_codes => %(plan_codes)s::text[],"
        " customer_names => %(customer_names)s::text[], account_names => %(account_names)s::text[],"
        " account_numbers => %(account_numbers)s::text[])"
    ),
    "preview_company_ids": (
        "SELECT company_id, status, source, match_type, temp_id, request_id"
        " FROM enterprise.preview_company_ids(plan_codes => %(plan_codes)s::text[],"
        " customer_names => %(customer_names)s::text[], account_names => %(account_names)s::text[],"
        " account_numbers => %(account_numbers)s::text[])"
    ),
    # The same two calls with each column packed into one text value (see _pack): string_to_array splits it on the
    # unit separator, and an element that is only the record separator is NULL. Far cheaper on both sides than a
    # text[] literal (no per-element quoting in Python, no array_in parse in the server).
    "resolve_company_ids_packed": (
        "SELECT company_id, status, source, match_type, temp_id, request_id"
        " FROM enterprise.resolve_company_ids(plan_codes => string_to_array(%(plan_codes)s, chr(31), chr(30)),"
        " customer_names => string_to_array(%(customer_names)s, chr(31), chr(30)),"
        " account_names => string_to_array(%(account_names)s, chr(31), chr(30)),"
        " account_numbers => string_to_array(%(account_numbers)s, chr(31), chr(30)))"
    ),
    "preview_company_ids_packed": (
        "SELECT company_id, status, source, match_type, temp_id, request_id"
        " FROM enterprise.preview_company_ids(plan_codes => string_to_array(%(plan_codes)s, chr(31), chr(30)),"
        " customer_names => string_to_array(%(customer_names)s, chr(31), chr(30)),"
        " account_names => string_to_array(%(account_names)s, chr(31), chr(30)),"
        " account_numbers => string_to_array(%(account_numbers)s, chr(31), chr(30)))"
    ),
    "explain_company_id": (
        "SELECT * FROM enterprise.explain_company_id(plan_code => %(plan_code)s, customer_name => %(customer_name)s,"
        " account_name => %(account_name)s, account_number => %(account_number)s)"
    ),
    "normalize_names": (
        "SELECT enterprise.normalize_name(n) FROM unnest(%(names)s::text[]) WITH ORDINALITY AS u(n, i) ORDER BY i"
    ),
    "enqueue_lookup": "SELECT * FROM enterprise.enqueue_lookup(name => %(name)s)",
    "claim_lookups": (
        "SELECT * FROM enterprise.claim_lookups(batch_size => %(batch_size)s, worker => %(worker)s,"
        " lease => %(lease)s, max_attempts => %(max_attempts)s)"
    ),
    "claim_lookup": (
        "SELECT * FROM enterprise.claim_lookup(request_id => %(request_id)s, worker => %(worker)s, lease => %(lease)s)"
    ),
    "complete_lookup": (
        "SELECT * FROM enterprise.complete_lookup(request_id => %(request_id)s, worker => %(worker)s,"
        " canonical_id => %(canonical_id)s, official_name => %(official_name)s, unite_code => %(unite_code)s)"
    ),
    "complete_lookups": (
        "SELECT * FROM enterprise.complete_lookups(worker => %(worker)s, request_ids => %(request_ids)s::bigint[],"
        " canonical_ids => %(canonical_ids)s::text[], official_names => %(official_names)s::text[],"
        " unite_codes => %(unite_codes)s::text[], claim_next => %(claim_next)s, lease => %(lease)s,"
        " max_attempts => %(max_attempts)s)"
    ),
    # The candidates go binary (%b): the text form of a jsonb[] escapes every quote of every answer, which cost the
    # worker about 15 us of its ~25 us of CPU per request (bench_queue, batch 50), and the server more to parse.
    "settle_lookups": (
        "SELECT * FROM enterprise.settle_lookups(worker => %(worker)s, request_ids => %(request_ids)s::bigint[],"
        " candidates => %(candidates)b::jsonb[], claim_next => %(claim_next)s, lease => %(lease)s,"
        " max_attempts => %(max_attempts)s)"
    ),
    "lookup_review": (
        "SELECT * FROM enterprise.lookup_review WHERE (%(after)s::bigint IS NULL OR request_id > %(after)s)"
        " ORDER BY request_id LIMIT %(limit)s"
    ),
    "lookup_review_items": (
        "SELECT * FROM enterprise.lookup_review WHERE request_id = ANY(%(request_ids)s::bigint[]) ORDER BY request_id"
    ),
    "review_requests": (
        "SELECT * FROM enterprise.review_requests(name_contains => %(name_contains)s, after => %(after)s,"
        " max_rows => %(max_rows)s)"
    ),
    "search_mappings": (
        "SELECT * FROM enterprise.search_mappings(alias_contains => %(alias_contains)s, company_id => %(company_id)s,"
        " normalized_key => %(normalized_key)s, max_rows => %(max_rows)s)"
    ),
    "failed_lookups": "SELECT * FROM enterprise.failed_lookups(max_rows => %(max_rows)s)",
    # Whether the connected role may call a function (the web console hides what PostgreSQL would refuse).
    "may_execute": "SELECT has_function_privilege(%(signature)s, 'EXECUTE')",
    "accept_lookup_candidate": (
        "SELECT * FROM enterprise.accept_lookup_candidate(request_id => %(request_id)s, company_id => %(company_id)s,"
        " force => %(force)s)"
    ),
    "reject_lookup": "SELECT * FROM enterprise.reject_lookup(request_id => %(request_id)s)",
    "company_profiles": "SELECT * FROM enterprise.company_profiles(company_ids => %(company_ids)s::text[])",
    "schema_version": "SELECT enterprise.schema_version()",
    # What is deployed, without touching anything that may be missing: (schema exists, schema_version() exists).
    "schema_presence": (
        "SELECT to_regnamespace('enterprise') IS NOT NULL, to_regprocedure('enterprise.schema_version()') IS NOT NULL"
    ),
    "complete_lookup_not_found": (
        "SELECT * FROM enterprise.complete_lookup_not_found(request_id => %(request_id)s, worker => %(worker)s)"
    ),
    "fail_lookup": (
        "SELECT * FROM enterprise.fail_lookup(request_id => %(request_id)s, worker => %(worker)s, error => %(error)s,"
        " retry_after => %(retry_after)s, max_attempts => %(max_attempts)s, backoff_base => %(backoff_base)s)"
    ),
    "renew_lookup_leases": (
        "SELECT enterprise.renew_lookup_leases(worker => %(worker)s, request_ids => %(request_ids)s::bigint[],"
        " lease => %(lease)s)"
    ),
    "release_lookups": (
        "SELECT enterprise.release_lookups(worker => %(worker)s, request_ids => %(request_ids)s::bigint[])"
    ),
    "requeue_failed": "SELECT enterprise.requeue_failed(older_than => %(older_than)s)",
    "prune_lookup_requests": (
        "SELECT enterprise.prune_lookup_requests(older_than => %(older_than)s, batch_size => %(batch_size)s,"
        " max_rows => %(max_rows)s)"
    ),
    "queue_stats": "SELECT * FROM enterprise.lookup_queue_stats",
    "upsert_internal_mappings": (
        "SELECT * FROM enterprise.upsert_internal_mappings(alias_names => %(alias_names)s,"
        " canonical_ids => %(canonical_ids)s, match_types => %(match_types)s,"
        " replace_conflicting => %(replace_conflicting)s, label => %(label)s)"
    ),
    "mapping_history": (
        "SELECT * FROM enterprise.mapping_history(alias_name => %(alias_name)s, match_type => %(match_type)s)"
    ),
    "mapping_change_sets": "SELECT * FROM enterprise.mapping_change_sets(max_rows => %(max_rows)s)",
    "revert_mapping_change_set": (
        "SELECT * FROM enterprise.revert_mapping_change_set(change_set => %(change_set)s, force => %(force)s)"
    ),
    # Who the mapping history names (WDH_CHANGED_BY), set once on each new connection of the pool; behind a pooler in
    # transaction mode, in each call's transaction instead (the session is not ours from one transaction to the next).
    "set_changed_by": "SELECT set_config('enrichment.changed_by', %(changed_by)s, false)",
    "set_changed_by_local": "SELECT set_config('enrichment.changed_by', %(changed_by)s, true)",
    "cache_company_mapping": (
        "SELECT enterprise.cache_company_mapping(alias_name => %(alias_name)s, canonical_id => %(canonical_id)s,"
        " source => %(source)s)"
    ),
    "next_temp_id": "SELECT enterprise.next_temp_id()",
    "acquire_eqc_permit": (
        "SELECT enterprise.acquire_eqc_permit(rate_per_minute => %(rate_per_minute)s, bucket => %(bucket)s)"
    ),
    "listen": f"LISTEN {LOOKUP_CHANNEL}",
    "ping": "SELECT 1",
    # Replica reads (replicas.py): the primary's WAL write position at the start of a batch, and whether a standby
    # is one (in recovery) and has replayed up to that position.
    "wal_position": "SELECT pg_catalog.pg_current_wal_insert_lsn()::text",
    "standby_state": (
        "SELECT pg_catalog.pg_is_in_recovery(),"
        " COALESCE(pg_catalog.pg_last_wal_replay_lsn() >= %(position)s::pg_lsn, false)"
    ),
}


#: libpq settings for the LISTEN connection where the pool's conninfo and kwargs say nothing: keepalives notice a
#: dead peer of an idle connection within about a minute, tcp_user_timeout one that stopped acknowledging a write.
LISTEN_KEEPALIVES: Final[dict[str, Any]] = {
    "keepalives": 1,
    "keepalives_idle": 30,
    "keepalives_interval": 10,
    "keepalives_count": 3,
    "tcp_user_timeout": 60_000,
}


class Listener:
    """The LISTEN connection: wait for notifications, and check that the server is still there."""

    def __init__(self, conn: psycopg.Connection[Any]) -> None:
        self._conn = conn

    def wait(self, timeout: float) -> int:
        """Wait up to ``timeout`` seconds for notifications; how many arrived (0 on a timeout)."""
        try:
            return sum(1 for _ in self._conn.notifies(timeout=timeout, stop_after=1))
        except psycopg.Error as exc:
            raise map_database_error(exc) from exc

    def check(self) -> None:
        """A round trip to the server: raises DatabaseError when the connection is gone (a half-open socket
        that the kernel has not noticed yet fails here, at the latest when TCP gives up on the write)."""
        try:
            self._conn.execute(SQL["ping"])
        except psycopg.Error as exc:
            raise map_database_error(exc) from exc


#: Separators of a packed column: US between elements, RS alone for NULL (string_to_array's null_string).
_UNIT: Final = "\x1f"
_NULL: Final = "\x1e"


def _pack(values: Sequence[str | None]) -> str | None:
    """One column as ``US``-separated text, None and empty elements as ``RS`` (NULL in the database); None when the
    column cannot be packed (a value holds US or RS).

    An empty string is sent as NULL: the SQL API reads a blank field as an absent one (codes are trimmed to NULL,
    a name normalized to '' is no name), and the answers are the same, but a NULL skips the work (normalize_name
    is STRICT) that an empty name would cost, and CSV files are full of empty cells."""
    packed = _UNIT.join([v or _NULL for v in values])
    if not packed or packed.count(_UNIT) != len(values) - 1:
        return None
    return packed if packed.count(_NULL) == values.count(None) + values.count("") else None


def _batch_params(columns: RecordColumns) -> tuple[bool, dict[str, Any]]:
    """(packed, parameters) of a batch call: every column packed when each can be, else text[] arrays."""
    named = dict(zip(_COLUMN_PARAMS, columns.as_tuple(), strict=True))
    packed: dict[str, Any] = {}
    for name, values in named.items():
        if values is None:
            packed[name] = None
            continue
        text = _pack(values)
        if text is None:
            return False, {k: None if v is None else list(v) for k, v in named.items()}
        packed[name] = text
    return True, packed


_COLUMN_PARAMS: Final = ("plan_codes", "customer_names", "account_names", "account_numbers")


def _probe(uri: str, kwargs: dict[str, Any], *, setting: str = "WDH_DATABASE__URI", what: str = "the database") -> None:
    """One connection, closed at once; DatabaseUnavailableError (where, and libpq's reason) when it fails."""
    try:
        psycopg.connect(uri, **kwargs).close()
    except psycopg.Error as exc:
        info = conninfo_to_dict(uri)
        where = ", ".join(f"{k} {info[k]}" for k in ("host", "port", "dbname", "user") if info.get(k))
        waited = kwargs.get("connect_timeout")
        raise DatabaseUnavailableError(
            f"cannot connect to {what} ({where or 'libpq defaults'})",
            sqlstate=exc.sqlstate,
            detail=" ".join(str(exc).split()) or type(exc).__name__,
            hint=f"Check {setting} and that the server is running"
            + (
                f" (a connection is waited for at most WDH_DATABASE__CONNECT_TIMEOUT seconds, here {waited})."
                if waited is not None
                else "."
            ),
        ) from None


#: How long after a call ends a pooled connection may be handed out again without the pool's round trip. The pool
#: checks a connection before handing it out (``ConnectionPool.check_connection``: an empty query), so that one the
#: server closed while it sat in the pool (a restart, a failover, an idle timeout) is replaced instead of failing the
#: next call. A connection that ended a call less than this long ago, is idle, and has nothing to read on its socket
#: (a server that closes a session first sends its reason, then end of file) is handed out as it is: in a loop of
#: single calls that round trip was over a quarter of each call's time.
QUIET_REUSE_SECONDS: Final = 1.0

# When each pooled connection last ended a call cleanly (EnrichmentDB._connection): read by _check_connection.
_quiet_since: weakref.WeakKeyDictionary[psycopg.Connection[Any], float] = weakref.WeakKeyDictionary()


def _check_connection(conn: psycopg.Connection[Any]) -> None:
    """The pool's check before it hands ``conn`` out: the round trip of ``ConnectionPool.check_connection``, unless
    ``conn`` ended a call under :data:`QUIET_REUSE_SECONDS` ago, is idle, and the server has sent nothing since."""
    since = _quiet_since.pop(conn, None)
    if (
        since is not None
        and time.monotonic() - since < QUIET_REUSE_SECONDS
        and not conn.closed
        and conn.info.transaction_status == TransactionStatus.IDLE
        and not _has_input(conn.fileno())
    ):
        return
    ConnectionPool.check_connection(conn)


def _has_input(fd: int) -> bool:
    """Whether anything waits to be read on a socket (a message, end of file, an error), without waiting. True
    when that cannot be told (the caller then makes the round trip)."""
    try:
        if hasattr(select, "poll"):
            poller = select.poll()
            poller.register(fd, select.POLLIN | select.POLLPRI)  # POLLHUP and POLLERR are always reported
            return bool(poller.poll(0))
        # No poll() (Windows; gevent or eventlet patch it away): select(), which refuses a number of 1024 or more
        # on POSIX.
        readable, _, broken = select.select([fd], [], [fd], 0)
        return bool(readable or broken)
    except (OSError, ValueError):
        return True


def _changed_by_setter(changed_by: str) -> Callable[[psycopg.Connection[Any]], None]:
    def configure(conn: psycopg.Connection[Any]) -> None:
        conn.execute(SQL["set_changed_by"], {"changed_by": changed_by})

    return configure


class EnrichmentDB:
    """Typed access to the enterprise SQL API over a psycopg connection pool."""

    def __init__(
        self, pool: ConnectionPool, *, listen_uri: str | None = None, changed_by_per_transaction: str | None = None
    ) -> None:
        """``listen_uri``: where :meth:`listen` connects (default: the pool's conninfo). ``changed_by_per_transaction``:
        run each call in a transaction that first sets ``enrichment.changed_by`` to it (a pool behind a pooler in
        transaction mode, where a session setting would not stay with this client)."""
        self._pool = pool
        self._listen_uri = listen_uri
        self._changed_by_local = changed_by_per_transaction

    @classmethod
    def connect(
        cls,
        uri: str,
        *,
        min_size: int = 1,
        max_size: int = 8,
        timeout: float = 30.0,
        connect_timeout: float | None = None,
        changed_by: str | None = None,
        listen_uri: str | None = None,
        transaction_pooling: bool = False,
    ) -> EnrichmentDB:
        """Open a pool on ``uri``. Connections are checked before use, so a restarted server is survived (one that
        ended a call under :data:`QUIET_REUSE_SECONDS` ago and has heard nothing from the server since is not: the
        check is a round trip).

        With ``connect_timeout`` (seconds) one connection is tried first, waiting at most that long: a database
        that cannot be reached is reported at once, in one error, instead of after the pool's retries.

        ``changed_by`` (the setting WDH_CHANGED_BY) is set on every connection as ``enrichment.changed_by``: the
        mapping history records it beside the database user.

        ``listen_uri`` (WDH_DATABASE__LISTEN_URI): where :meth:`listen` connects, when not ``uri``.
        ``transaction_pooling`` (WDH_DATABASE__TRANSACTION_POOLING): ``uri`` goes through a pooler in transaction
        mode, so no statement is prepared on the server and ``changed_by`` is set in each call's transaction.
        """
        kwargs: dict[str, Any] = {"autocommit": True, "application_name": "company-enrichment"}
        if transaction_pooling:
            kwargs["prepare_threshold"] = None
        if connect_timeout is not None:
            # libpq counts whole seconds and treats 1 as 2.
            kwargs["connect_timeout"] = max(2, math.ceil(connect_timeout))
            _probe(uri, kwargs)
        pool = ConnectionPool(
            uri,
            min_size=min_size,
            max_size=max_size,
            timeout=timeout,
            kwargs=kwargs,
            check=_check_connection,
            configure=None if changed_by is None or transaction_pooling else _changed_by_setter(changed_by),
            open=False,
            name="company-enrichment",
        )
        try:
            pool.open(wait=True, timeout=timeout)
        except psycopg.Error as exc:
            pool.close()
            raise map_database_error(exc) from exc
        except Exception as exc:  # psycopg_pool.PoolTimeout carries the connection error in its text
            pool.close()
            raise DatabaseUnavailableError(f"cannot connect to the database: {exc}", sqlstate=None) from exc
        return cls(
            pool, listen_uri=listen_uri, changed_by_per_transaction=changed_by if transaction_pooling else None
        )

    @property
    def pool(self) -> ConnectionPool:
        return self._pool

    def close(self) -> None:
        self._pool.close()

    def __enter__(self) -> EnrichmentDB:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # ------------------------------------------------------------------------------------------ plumbing

    @contextmanager
    def _connection(self) -> Iterator[psycopg.Connection[Any]]:
        try:
            with self._pool.connection() as conn:
                if self._changed_by_local is None:
                    yield conn
                else:
                    with conn.transaction():
                        conn.execute(SQL["set_changed_by_local"], {"changed_by": self._changed_by_local})
                        yield conn
                # Ended cleanly: the pool may hand it out again without a round trip for a moment (_check_connection).
                _quiet_since[conn] = time.monotonic()
        except psycopg.Error as exc:
            raise map_database_error(exc) from exc
        except UnicodeEncodeError as exc:
            # A lone surrogate (from a mis-decoded file, say) cannot be sent as UTF-8.
            raise InvalidInputError(
                "text that is not valid Unicode cannot be sent to the database",
                sqlstate=None,
                detail=f"{exc.reason} at position {exc.start} of {exc.object[max(0, exc.start - 20) : exc.start]!r}...",
                hint="Decode the input as UTF-8 with errors='strict' (or replace invalid characters) before resolving.",
            ) from None

    def _rows(self, model: type[_M], name: str, params: dict[str, Any]) -> list[_M]:
        with self._connection() as conn, conn.cursor(row_factory=class_row(model)) as cur:
            cur.execute(SQL[name], params)
            return cur.fetchall()

    def _one(self, model: type[_M], name: str, params: dict[str, Any]) -> _M:
        rows = self._rows(model, name, params)
        if len(rows) != 1:
            raise RuntimeError(f"{name} returned {len(rows)} rows, expected 1")
        return rows[0]

    def _scalar(self, name: str, params: dict[str, Any] | None = None) -> Any:
        with self._connection() as conn, conn.cursor(row_factory=tuple_row) as cur:
            cur.execute(SQL[name], params or {})
            row = cur.fetchone()
            return None if row is None else row[0]

    # ---------------------------------------------------------------------------------------- resolution

    def resolve_company_id(
        self,
        *,
        plan_code: str | None = None,
        customer_name: str | None = None,
        account_name: str | None = None,
        account_number: str | None = None,
    ) -> CompanyIdResult:
        return self._one(
            CompanyIdResult,
            "resolve_company_id",
            {
                "plan_code": plan_code,
                "customer_name": customer_name,
                "account_name": account_name,
                "account_number": account_number,
            },
        )

    def resolve_company_ids(self, records: Sequence[CompanyRecord]) -> list[CompanyIdResult]:
        """One set-based call; results come back in input order."""
        return [to_result(row) for row in self.resolve_rows(RecordColumns.from_records(records))]

    def resolve_columns(
        self,
        *,
        plan_codes: Sequence[str | None] | None = None,
        customer_names: Sequence[str | None] | None = None,
        account_names: Sequence[str | None] | None = None,
        account_numbers: Sequence[str | None] | None = None,
    ) -> list[CompanyIdResult]:
        """resolve_company_ids for columnar input (one list per column, None for a missing column)."""
        columns = RecordColumns(plan_codes, customer_names, account_names, account_numbers)
        return [to_result(row) for row in self.resolve_rows(columns)]

    def preview_company_ids(self, records: Sequence[CompanyRecord]) -> list[CompanyIdResult]:
        """What resolution would answer, computed without writing anything (plan-only runs)."""
        return [to_result(row) for row in self.resolve_rows(RecordColumns.from_records(records), preview=True)]

    def explain_company_id(self, record: CompanyRecord) -> list[ExplainStep]:
        """Why ``record`` gets its id: the seven steps of the resolution order, in order, exactly one of them
        ``answered`` (with preview_company_ids's answer). Writes nothing."""
        return self._rows(ExplainStep, "explain_company_id", record.model_dump())

    def resolve_rows(self, columns: RecordColumns, *, preview: bool = False) -> list[ResultRow]:
        """The hot path of batch resolution: columns in, plain tuples out (company_id, status, source, match_type,
        temp_id, request_id), in input order, with no model per row. ``preview``: preview_company_ids (writes
        nothing). Each column travels as one packed text value when it can (see :func:`_pack`)."""
        size = len(columns)
        if size == 0:
            return []
        packed, params = _batch_params(columns)
        base = "preview_company_ids" if preview else "resolve_company_ids"
        name = f"{base}_packed" if packed else base
        with self._connection() as conn, conn.cursor(row_factory=tuple_row) as cur:
            cur.execute(SQL[name], params)
            rows: list[ResultRow] = cur.fetchall()
        if len(rows) != size:
            raise RuntimeError(f"{name} returned {len(rows)} rows for {size} records")
        return rows

    def resolve_rows_at(
        self, columns: RecordColumns, rows: Sequence[ResultRow], positions: Sequence[int]
    ) -> list[ResultRow]:
        """``rows`` (answers to ``columns``) with the records at ``positions`` resolved again, in one
        resolve_company_ids call on just those records: a new list, ``rows`` unchanged."""
        merged = list(rows)
        if positions:
            for i, row in zip(positions, self.resolve_rows(columns.take(positions)), strict=True):
                merged[i] = row
        return merged

    def wal_position(self) -> str:
        """The server's current WAL insert position (``pg_current_wal_insert_lsn()``, e.g. ``0/1A2B3C8``): past the
        commit record of every transaction committed so far, those committed with ``synchronous_commit = off`` (whose
        WAL may not be written yet) included; on a primary only (a standby raises 55000)."""
        return str(self._scalar("wal_position"))

    def standby_state(self, position: str) -> tuple[bool, bool]:
        """(is a standby, has replayed up to ``position``): ``pg_is_in_recovery()`` and
        ``pg_last_wal_replay_lsn() >= position`` (false on a primary)."""
        with self._connection() as conn, conn.cursor(row_factory=tuple_row) as cur:
            cur.execute(SQL["standby_state"], {"position": position})
            row = cur.fetchone()
        if row is None:
            raise RuntimeError("standby_state returned no row")
        return bool(row[0]), bool(row[1])

    def normalize_names(self, names: Sequence[str]) -> list[str | None]:
        if not names:
            return []
        with self._connection() as conn, conn.cursor(row_factory=tuple_row) as cur:
            cur.execute(SQL["normalize_names"], {"names": list(names)})
            return [row[0] for row in cur.fetchall()]

    def next_temp_id(self) -> str:
        return str(self._scalar("next_temp_id"))

    # -------------------------------------------------------------------------------------------- queue

    def enqueue_lookup(self, name: str) -> LookupRequest:
        return self._one(LookupRequest, "enqueue_lookup", {"name": name})

    def claim_lookups(
        self, batch_size: int, worker: str, *, lease: timedelta | None = None, max_attempts: int | None = None
    ) -> list[LookupRequest]:
        return self._rows(
            LookupRequest,
            "claim_lookups",
            {"batch_size": batch_size, "worker": worker, "lease": lease, "max_attempts": max_attempts},
        )

    def claim_lookup(self, request_id: int, worker: str, *, lease: timedelta | None = None) -> LookupRequest | None:
        rows = self._rows(LookupRequest, "claim_lookup", {"request_id": request_id, "worker": worker, "lease": lease})
        return rows[0] if rows else None

    def complete_lookup(
        self,
        request_id: int,
        worker: str,
        canonical_id: str,
        *,
        official_name: str | None = None,
        unite_code: str | None = None,
    ) -> LookupRequest:
        return self._one(
            LookupRequest,
            "complete_lookup",
            {
                "request_id": request_id,
                "worker": worker,
                "canonical_id": canonical_id,
                "official_name": official_name,
                "unite_code": unite_code,
            },
        )

    def settle_lookups(
        self,
        worker: str,
        request_ids: Sequence[int],
        candidates: Sequence[Sequence[dict[str, Any]]],
        *,
        claim_next: int = 0,
        lease: timedelta | None = None,
        max_attempts: int | None = None,
    ) -> list[LookupRequest]:
        """Hand EQC's answers (every candidate, as EQC sent it; [] = not found) to the database, which scores
        them and decides. Returns the rows settled (done), sent to review (review), failed attempts (pending or
        failed), then with ``claim_next`` the next batch claimed in the same transaction (processing)."""
        return self._rows(
            LookupRequest,
            "settle_lookups",
            {
                "worker": worker,
                "request_ids": list(request_ids),
                "candidates": [Jsonb(list(answer)) for answer in candidates],
                "claim_next": claim_next,
                "lease": lease,
                "max_attempts": max_attempts,
            },
        )

    def lookup_review(self, *, after: int | None = None, limit: int = 1000) -> list[ReviewItem]:
        """Requests under review, by request id (keyset pagination: pass the last id seen as ``after``)."""
        return self._rows(ReviewItem, "lookup_review", {"after": after, "limit": limit})

    def review_requests(
        self, *, name_contains: str | None = None, after: int | None = None, max_rows: int = 50
    ) -> list[ReviewItem]:
        """A page of the requests under review for any role: oldest first, after ``after``, names containing a text."""
        params = {"name_contains": name_contains, "after": after, "max_rows": max_rows}
        return self._rows(ReviewItem, "review_requests", params)

    def search_mappings(
        self,
        *,
        alias_contains: str | None = None,
        company_id: str | None = None,
        normalized_key: str | None = None,
        max_rows: int = 100,
    ) -> list[MappingMatch]:
        """Curated and learned mappings by alias, company id and/or normalized key (at least one), curated first."""
        params = {
            "alias_contains": alias_contains,
            "company_id": company_id,
            "normalized_key": normalized_key,
            "max_rows": max_rows,
        }
        return self._rows(MappingMatch, "search_mappings", params)

    def failed_lookups(self, max_rows: int = 100) -> list[FailedLookup]:
        """The requests that gave up, most recent failure first, with their last error."""
        return self._rows(FailedLookup, "failed_lookups", {"max_rows": max_rows})

    def may_execute(self, signature: str) -> bool:
        """Whether the connected role may execute a function, e.g. ``enterprise.reject_lookup(bigint)``."""
        return bool(self._scalar("may_execute", {"signature": signature}))

    def accept_lookup_candidate(self, request_id: int, company_id: str, *, force: bool = False) -> LookupRequest:
        return self._one(
            LookupRequest,
            "accept_lookup_candidate",
            {"request_id": request_id, "company_id": company_id, "force": force},
        )

    def reject_lookup(self, request_id: int) -> LookupRequest:
        return self._one(LookupRequest, "reject_lookup", {"request_id": request_id})

    def lookup_review_items(self, request_ids: Sequence[int]) -> list[ReviewItem]:
        """Those of ``request_ids`` that are under review right now, by request id (the others are left out)."""
        if not request_ids:
            return []
        return self._rows(ReviewItem, "lookup_review_items", {"request_ids": list(request_ids)})

    def decide_reviews(self, decisions: Sequence[ReviewDecision]) -> list[LookupRequest]:
        """Apply people's decisions (accept_lookup_candidate or reject_lookup) all or nothing, in ONE transaction, in
        the order given (give them in request id order, so that concurrent batches lock rows in one order).

        Returns the settled requests in that order. When a decision fails (CE003: someone decided first; CE004; ...)
        the transaction is rolled back, nothing is applied, and :class:`DecisionFailedError` names its position and
        carries the database's error.
        """
        settled: list[LookupRequest] = []
        with self._connection() as conn, conn.transaction(), conn.cursor(row_factory=class_row(LookupRequest)) as cur:
            for position, decision in enumerate(decisions):
                params: dict[str, Any]
                if decision.company_id is None:
                    name, params = "reject_lookup", {"request_id": decision.request_id}
                else:
                    name = "accept_lookup_candidate"
                    params = {
                        "request_id": decision.request_id,
                        "company_id": decision.company_id,
                        "force": decision.force,
                    }
                try:
                    cur.execute(SQL[name], params)
                except psycopg.Error as exc:
                    raise DecisionFailedError(position, map_database_error(exc)) from exc
                row = cur.fetchone()
                if row is None:
                    raise RuntimeError(f"{name} returned no row")
                settled.append(row)
        return settled

    def company_profiles(self, company_ids: Sequence[str]) -> list[CompanyProfile]:
        """What EQC said about each known company id (official name, unite_code), in the order asked."""
        return self._rows(CompanyProfile, "company_profiles", {"company_ids": list(company_ids)})

    def schema_version(self) -> str:
        return str(self._scalar("schema_version"))

    def ping(self, *, timeout: float = 2.0) -> None:
        """A round trip on a pooled connection, waiting at most ``timeout`` seconds for one (readiness checks)."""
        try:
            with self._pool.connection(timeout=timeout) as conn:
                conn.execute(SQL["ping"])
        except psycopg.Error as exc:
            raise map_database_error(exc) from exc

    def deployed_release(self) -> str | None:
        """The SQL API release deployed here: None without schema ``enterprise``; ``"0.1"`` for a schema without
        ``schema_version()`` (release 0.1.x had none); else what ``schema_version()`` answers."""
        with self._connection() as conn, conn.cursor(row_factory=tuple_row) as cur:
            cur.execute(SQL["schema_presence"])
            row = cur.fetchone()
        if row is None or not row[0]:
            return None
        if not row[1]:
            return "0.1"
        return self.schema_version()

    def complete_lookups(
        self,
        worker: str,
        request_ids: Sequence[int],
        canonical_ids: Sequence[str | None],
        *,
        official_names: Sequence[str | None] | None = None,
        unite_codes: Sequence[str | None] | None = None,
        claim_next: int = 0,
        lease: timedelta | None = None,
        max_attempts: int | None = None,
    ) -> list[LookupRequest]:
        """Settle many held requests at once (canonical id None = not found).

        Returns the rows settled (status done) and, with ``claim_next``, then the next batch claimed in the
        same transaction (status processing).
        """
        return self._rows(
            LookupRequest,
            "complete_lookups",
            {
                "worker": worker,
                "request_ids": list(request_ids),
                "canonical_ids": list(canonical_ids),
                "official_names": None if official_names is None else list(official_names),
                "unite_codes": None if unite_codes is None else list(unite_codes),
                "claim_next": claim_next,
                "lease": lease,
                "max_attempts": max_attempts,
            },
        )

    def complete_lookup_not_found(self, request_id: int, worker: str) -> LookupRequest:
        return self._one(LookupRequest, "complete_lookup_not_found", {"request_id": request_id, "worker": worker})

    def fail_lookup(
        self,
        request_id: int,
        worker: str,
        error: str,
        *,
        retry_after: timedelta | None = None,
        max_attempts: int | None = None,
        backoff_base: timedelta | None = None,
    ) -> LookupRequest:
        return self._one(
            LookupRequest,
            "fail_lookup",
            {
                "request_id": request_id,
                "worker": worker,
                "error": error,
                "retry_after": retry_after,
                "max_attempts": max_attempts,
                "backoff_base": backoff_base,
            },
        )

    def renew_lookup_leases(
        self, worker: str, request_ids: Sequence[int] | None = None, *, lease: timedelta | None = None
    ) -> list[int]:
        """Extend the leases ``worker`` still holds (all, or those in ``request_ids``); the ids renewed."""
        ids = None if request_ids is None else list(request_ids)
        with self._connection() as conn, conn.cursor(row_factory=tuple_row) as cur:
            cur.execute(SQL["renew_lookup_leases"], {"worker": worker, "request_ids": ids, "lease": lease})
            return [int(row[0]) for row in cur.fetchall()]

    def release_lookups(self, worker: str, request_ids: Sequence[int] | None = None) -> int:
        ids = None if request_ids is None else list(request_ids)
        return int(self._scalar("release_lookups", {"worker": worker, "request_ids": ids}))

    def requeue_failed(self, older_than: timedelta = timedelta(0)) -> int:
        return int(self._scalar("requeue_failed", {"older_than": older_than}))

    def prune_lookup_requests(
        self, older_than: timedelta, *, batch_size: int = 10_000, max_rows: int | None = None
    ) -> int:
        params = {"older_than": older_than, "batch_size": batch_size, "max_rows": max_rows}
        return int(self._scalar("prune_lookup_requests", params))

    def queue_stats(self) -> QueueStats:
        return self._one(QueueStats, "queue_stats", {})

    def _listen_conninfo(self) -> tuple[str, dict[str, Any]]:
        """Where the LISTEN connection goes (``listen_uri``, else the pool's conninfo) and the pool's kwargs."""
        conninfo = self._pool.conninfo
        if callable(conninfo):
            conninfo = conninfo()
        pool_kwargs = self._pool.kwargs
        if callable(pool_kwargs):
            pool_kwargs = pool_kwargs()
        return self._listen_uri or conninfo, dict(pool_kwargs or {})

    def check_listen(self) -> None:
        """One connection to where :meth:`listen` connects, closed at once: DatabaseUnavailableError naming
        WDH_DATABASE__LISTEN_URI when it fails (a worker checks this at start-up; later losses are retried)."""
        if self._listen_uri is None:
            return  # the pool's own URI, which answered when the pool opened
        conninfo, kwargs = self._listen_conninfo()
        _probe(conninfo, kwargs, setting="WDH_DATABASE__LISTEN_URI", what="the database for LISTEN")

    @contextmanager
    def listen(self) -> Iterator[Listener]:
        """A connection of its own (outside the pool, with the pool's connection settings) that LISTENs on
        enterprise_lookup: to ``listen_uri`` when given (LISTEN needs a session of its own, which a pooler in
        transaction mode does not keep), else where the pool connects. TCP keepalives are on, so a half-open
        connection is noticed; see also :meth:`Listener.check`."""
        conninfo, pool_kwargs = self._listen_conninfo()
        try:
            given = {**conninfo_to_dict(conninfo), **pool_kwargs}
            kwargs = {**{k: v for k, v in LISTEN_KEEPALIVES.items() if k not in given}, **pool_kwargs}
            kwargs["autocommit"] = True
            with psycopg.connect(conninfo, **kwargs) as conn:
                conn.execute(SQL["listen"])
                yield Listener(conn)
        except psycopg.Error as exc:
            raise map_database_error(exc) from exc

    # ----------------------------------------------------------------------------------------- mappings

    def upsert_internal_mappings(
        self, rows: Sequence[MappingRow], *, replace_conflicting: bool = False, label: str | None = None
    ) -> MappingLoadResult:
        """Load curated mappings, all or nothing, as one change set (``label``, returned as ``change_set``). A row
        conflicting with curated rows already loaded (same kind and key, another alias and id) is refused (22023)
        unless ``replace_conflicting``, which deletes those rows."""
        return self._one(
            MappingLoadResult,
            "upsert_internal_mappings",
            {
                "alias_names": [r.alias_name for r in rows],
                "canonical_ids": [r.canonical_id for r in rows],
                "match_types": [r.match_type for r in rows],
                "replace_conflicting": replace_conflicting,
                "label": label,
            },
        )

    # ----------------------------------------------------------------------------- mapping history and undo

    def mapping_history(self, alias_name: str, *, match_type: str | None = None) -> list[MappingHistoryEntry]:
        """Every insert, update and delete of the mapping rows with this alias (as stored: trimmed), oldest first."""
        return self._rows(MappingHistoryEntry, "mapping_history", {"alias_name": alias_name, "match_type": match_type})

    def mapping_change_sets(self, max_rows: int = 100) -> list[MappingChangeSet]:
        """The most recent change sets (imports, reverts, other writes per transaction), newest first."""
        return self._rows(MappingChangeSet, "mapping_change_sets", {"max_rows": max_rows})

    def revert_mapping_change_set(self, change_set: int, *, force: bool = False) -> MappingChangeSet:
        """Undo a change set, all or nothing; returns the revert's own change set. Raises
        :class:`.errors.MappingChangeSetConflictError` (CE005) when later change sets changed its rows (unless
        ``force``), :class:`.errors.MappingChangeSetNotFoundError` (CE006) for an unknown id."""
        return self._one(MappingChangeSet, "revert_mapping_change_set", {"change_set": change_set, "force": force})

    def cache_company_mapping(self, alias_name: str, canonical_id: str, *, source: str = "EQC") -> str:
        params = {"alias_name": alias_name, "canonical_id": canonical_id, "source": source}
        return str(self._scalar("cache_company_mapping", params))

    # -------------------------------------------------------------------------------------- EQC limiter

    def acquire_eqc_permit(self, rate_per_minute: int, *, bucket: str = "eqc") -> float:
        """0.0 when one EQC request may go now (the slot is booked), else seconds to wait."""
        return float(self._scalar("acquire_eqc_permit", {"rate_per_minute": rate_per_minute, "bucket": bucket}))
