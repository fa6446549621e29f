"""The EQC rate limit shared by every worker and process that uses one database."""

from __future__ import annotations

import threading
from collections.abc import Callable

from .db import EnrichmentDB
from .eqc import wait_or_stop

__all__ = ["DatabaseRateLimiter"]


class DatabaseRateLimiter:
    """A :class:`company_enrichment.eqc.RateLimiter` backed by ``enterprise.acquire_eqc_permit``.

    Each :meth:`acquire` books one request slot in the database; requests are spaced
    60 / rate_per_minute seconds apart across all processes sharing the database.
    :meth:`acquire_unless` gives up, without a slot, as soon as its stop event is set.
    """

    def __init__(
        self,
        db: EnrichmentDB,
        rate_per_minute: int,
        *,
        bucket: str = "eqc",
        sleep: Callable[[float], None] | None = None,
        max_sleep: float = 5.0,
    ) -> None:
        if rate_per_minute < 1:
            raise ValueError("rate_per_minute must be at least 1")
        self._db = db
        self._rate = rate_per_minute
        self._bucket = bucket
        self._sleep = sleep
        self._max_sleep = max_sleep

    def __repr__(self) -> str:
        return f"DatabaseRateLimiter(rate_per_minute={self._rate}, bucket={self._bucket!r})"

    @property
    def rate_per_minute(self) -> int:
        return self._rate

    def acquire(self) -> None:
        self.acquire_unless(None)

    def acquire_unless(self, stop: threading.Event | None) -> bool:
        """Book a slot and return True; False, with no slot booked, once ``stop`` is set."""
        while True:
            if stop is not None and stop.is_set():
                return False
            wait = self._db.acquire_eqc_permit(self._rate, bucket=self._bucket)
            if wait <= 0:
                return True
            # Ask again rather than sleeping the whole wait: another process may be sharing the slot schedule.
            if wait_or_stop(min(wait, self._max_sleep), stop, self._sleep):
                return False
