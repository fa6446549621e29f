"""Replica reads: the read-only half of batch resolution on PostgreSQL hot standbys.

For each batch, :meth:`ReplicaRouter.resolve_rows`:

1. reads the primary's WAL insert position (``pg_current_wal_insert_lsn()``);
2. takes the next standby in round-robin order that is a standby (``pg_is_in_recovery()``) and has replayed up to
   that position (``pg_last_wal_replay_lsn()``), polling the standbys for at most ``max_wait`` seconds;
3. asks it ``preview_company_ids`` (which writes nothing) for the whole batch, and keeps the answers that are
   final: a curated or learned mapping (success_internal, success_external) and a TEMP id already remembered for
   the record's key;
4. sends only the other records to the primary's ``resolve_company_ids`` (which queues names and mints TEMP ids),
   and puts the answers back in input order.

A batch that no standby has caught up with goes to the primary alone. A standby that cannot be reached, fails, or
is not a standby is skipped with a warning and tried again ``retry_after`` seconds later. The README ("Replica
reads") spells out why the combined answer is the primary's.

The SQL is :mod:`.db`'s; each standby has a pool of its own (:class:`.db.EnrichmentDB`), opened when first used.
"""

from __future__ import annotations

import itertools
import logging
import threading
import time
from collections.abc import Sequence
from typing import Final

from psycopg.conninfo import conninfo_to_dict

from .columns import RecordColumns, ResultRow
from .db import EnrichmentDB
from .errors import DatabaseError, DatabaseUnavailableError, InvalidInputError
from .models import ReplicaStats, ResolutionStatus
from .settings import Settings

__all__ = ["REPLICA_RETRY_AFTER", "ReplicaRouter", "is_final", "replica_name", "replicas_from_settings"]

logger = logging.getLogger("company_enrichment.replicas")

#: Seconds a standby that failed is left alone before it is tried again.
REPLICA_RETRY_AFTER: Final = 30.0

_SUCCESS: Final = frozenset({ResolutionStatus.SUCCESS_INTERNAL.value, ResolutionStatus.SUCCESS_EXTERNAL.value})
_TEMP: Final = ResolutionStatus.TEMP_ASSIGNED.value


def is_final(row: ResultRow) -> bool:
    """Whether a preview_company_ids answer is the one resolve_company_ids gives, column for column: a mapping
    hit, or a TEMP id already remembered for the record's key (company_id set). A pending_lookup row (resolution
    may queue or revive a request) and a temp_assigned row without an id (resolution mints one) are not."""
    return row[1] in _SUCCESS or (row[1] == _TEMP and row[0] is not None)


def replica_name(uri: str) -> str:
    """host:port/dbname of a libpq URI, for logs and stats (never its password)."""
    info = conninfo_to_dict(uri)
    return f"{info.get('host') or 'localhost'}:{info.get('port') or 5432}/{info.get('dbname') or ''}"


class _Replica:
    """One standby: its pool (opened when first used, closed when it fails) and when it may be tried again."""

    def __init__(self, uri: str) -> None:
        self.uri = uri
        self.name = replica_name(uri)
        self.db: EnrichmentDB | None = None
        self.retry_at = 0.0
        self.lock = threading.Lock()


class ReplicaRouter:
    """Spreads the read-only half of batch resolution over hot standbys, round-robin; thread-safe (``jobs``).

    ``pool_max_size`` connections at most per standby (one per job in flight), each opened with the primary's
    ``connect_timeout``, ``changed_by`` and ``transaction_pooling``. The standbys' connections need nothing but
    ``enrichment_reader``.
    """

    def __init__(
        self,
        uris: Sequence[str],
        *,
        max_wait: float = 1.0,
        retry_after: float = REPLICA_RETRY_AFTER,
        pool_max_size: int = 8,
        connect_timeout: float = 5.0,
        changed_by: str | None = None,
        transaction_pooling: bool = False,
    ) -> None:
        if not uris:
            raise ValueError("ReplicaRouter needs at least one standby URI")
        if max_wait < 0 or retry_after < 0:
            raise ValueError("max_wait and retry_after must not be negative")
        self._replicas = [_Replica(uri) for uri in uris]
        self._max_wait = max_wait
        self._retry_after = retry_after
        self._pool_max_size = pool_max_size
        self._connect_timeout = connect_timeout
        self._changed_by = changed_by
        self._transaction_pooling = transaction_pooling
        self._turn = itertools.count()
        self._lock = threading.Lock()
        self._stats = ReplicaStats()
        self._behind = False

    @property
    def stats(self) -> ReplicaStats:
        """A copy of the counts so far."""
        with self._lock:
            return self._stats.model_copy(deep=True)

    @property
    def names(self) -> list[str]:
        return [r.name for r in self._replicas]

    def close(self) -> None:
        for replica in self._replicas:
            with replica.lock:
                if replica.db is not None:
                    replica.db.close()
                    replica.db = None

    def __enter__(self) -> ReplicaRouter:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # ------------------------------------------------------------------------------------------ a batch

    def resolve_rows(self, primary: EnrichmentDB, columns: RecordColumns, *, preview: bool = False) -> list[ResultRow]:
        """The answers of ``primary.resolve_rows(columns, preview=preview)``, with the final ones read on a standby
        that has replayed the primary's WAL position of this moment (see the module's text)."""
        size = len(columns)
        if size == 0:
            return []
        position = primary.wal_position()
        replica = self._caught_up(position)
        rows: list[ResultRow] | None = None
        if replica is not None:
            rows = self._preview_on(replica, columns)
        if rows is None:
            answered = primary.resolve_rows(columns, preview=preview)
            self._count(size, 0, None)
            return answered
        if preview:  # plan-only: preview_company_ids is the answer wanted, and the standby's is the primary's
            self._count(size, size, replica)
            return rows
        positions = [i for i, row in enumerate(rows) if not is_final(row)]
        answered = primary.resolve_rows_at(columns, rows, positions)
        self._count(size, size - len(positions), replica)
        return answered

    def _count(self, size: int, from_replica: int, replica: _Replica | None) -> None:
        with self._lock:
            s = self._stats
            s.batches += 1
            s.records += size
            s.records_from_replica += from_replica
            s.records_to_primary += size - from_replica
            if replica is not None:
                s.batches_on_replica += 1
                s.by_replica[replica.name] = s.by_replica.get(replica.name, 0) + 1

    def _preview_on(self, replica: _Replica, columns: RecordColumns) -> list[ResultRow] | None:
        """The standby's preview of the batch; None (and a warning; the batch goes to the primary) when it fails."""
        db = replica.db
        if db is None:
            return None
        try:
            return db.resolve_rows(columns, preview=True)
        except InvalidInputError:
            raise  # the records' fault (text that is not Unicode, say): the primary would refuse them the same way
        except DatabaseUnavailableError as exc:
            self._fail(replica, f"failed: {exc.message}")
        except DatabaseError as exc:
            # e.g. a query cancelled by a conflict with recovery: the primary answers this batch, and the standby
            # stays in the rotation
            logger.warning(
                "standby %s could not answer a batch (it goes to the primary): %s", replica.name, exc.message
            )
        with self._lock:
            self._stats.batches_no_replica += 1
        return None

    # ------------------------------------------------------------------------------- which standby

    def _caught_up(self, position: str) -> _Replica | None:
        """The first standby, in round-robin order, that has replayed ``position``, polling for at most max_wait;
        None when none is usable or none caught up in time (counted, and logged)."""
        start = next(self._turn) % len(self._replicas)
        candidates = [r for r in self._replicas[start:] + self._replicas[:start] if self._usable(r)]
        if not candidates:
            with self._lock:
                self._stats.batches_no_replica += 1
            logger.info("no usable standby: the batch goes to the primary")
            return None
        deadline = time.monotonic() + self._max_wait
        pause = 0.002
        while True:
            for replica in list(candidates):
                state = self._replayed(replica, position)
                if state is None:
                    candidates.remove(replica)
                elif state:
                    self._note_behind(False, position)
                    return replica
            left = deadline - time.monotonic()
            if not candidates:
                with self._lock:
                    self._stats.batches_no_replica += 1
                return None
            if left <= 0:
                with self._lock:
                    self._stats.batches_replica_behind += 1
                self._note_behind(True, position)
                return None
            time.sleep(min(pause, left))
            pause = min(pause * 2, 0.05)

    def _note_behind(self, behind: bool, position: str) -> None:
        """Warn when the standbys fall behind (once, until one catches up again); the batch goes to the primary."""
        with self._lock:
            changed, self._behind = self._behind != behind, behind
        if behind and changed:
            logger.warning(
                "no standby replayed the primary's WAL position %s within %.3g s: batches go to the primary until one"
                " catches up",
                position,
                self._max_wait,
            )
        elif behind:
            logger.info("no standby replayed %s within %.3g s: the batch goes to the primary", position, self._max_wait)
        elif changed:
            logger.warning("a standby caught up with the primary again: batches are read there")

    def _usable(self, replica: _Replica) -> bool:
        """Whether the standby may be asked now: its pool is open, or opens now (after its back-off)."""
        with replica.lock:
            if replica.db is not None:
                return True
            if time.monotonic() < replica.retry_at:
                return False
            try:
                replica.db = EnrichmentDB.connect(
                    replica.uri,
                    min_size=1,
                    max_size=self._pool_max_size,
                    timeout=max(2.0, self._connect_timeout),
                    connect_timeout=self._connect_timeout,
                    changed_by=self._changed_by,
                    transaction_pooling=self._transaction_pooling,
                )
            except DatabaseError as exc:
                replica.retry_at = time.monotonic() + self._retry_after
                logger.warning(
                    "standby %s cannot be reached, skipped for %.0f s: %s%s",
                    replica.name,
                    self._retry_after,
                    exc.message,
                    f" ({exc.detail})" if exc.detail else "",
                )
                return False
            return True

    def _replayed(self, replica: _Replica, position: str) -> bool | None:
        """Whether the standby has replayed ``position``; None when it is not usable (not a standby, or failed)."""
        db = replica.db
        if db is None:
            return None
        try:
            in_recovery, replayed = db.standby_state(position)
        except DatabaseError as exc:
            self._fail(replica, f"failed: {exc.message}")
            return None
        if not in_recovery:
            self._fail(
                replica,
                "is not a standby (pg_is_in_recovery() is false): it could be written to, and its"
                " answers need not be the primary's",
            )
            return None
        return replayed

    def _fail(self, replica: _Replica, why: str) -> None:
        """Take the standby out of the rotation for retry_after seconds (its pool closed), with a warning."""
        with replica.lock:
            db, replica.db = replica.db, None
            replica.retry_at = time.monotonic() + self._retry_after
        if db is not None:
            db.close()
        logger.warning("standby %s %s; skipped for %.0f s", replica.name, why, self._retry_after)


def replicas_from_settings(settings: Settings, *, pool_max_size: int = 8) -> ReplicaRouter | None:
    """The router over WDH_DATABASE__REPLICA_URIS (waiting WDH_REPLICA_MAX_WAIT), or None when none is set."""
    if not settings.database.replica_uris:
        return None
    return ReplicaRouter(
        settings.database.replica_uris,
        max_wait=settings.replica_max_wait,
        pool_max_size=pool_max_size,
        connect_timeout=settings.database.connect_timeout,
        changed_by=settings.changed_by,
        # standbys behind a pooler in transaction mode too (WDH_DATABASE__TRANSACTION_POOLING covers every URI)
        transaction_pooling=settings.database.transaction_pooling,
    )
