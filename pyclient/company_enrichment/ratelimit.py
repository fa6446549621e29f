"""The EQC rate limit shared by every worker and process that uses one database."""

from __future__ import annotations

import time
from collections.abc import Callable

from .db import EnrichmentDB

__all__ = ["DatabaseRateLimiter"]


class DatabaseRateLimiter:
    """A :class:`company_enrichment.eqc.RateLimiter` backed by ``enterprise.acquire_eqc_permit``.

    Each :meth:`acquire` books one request slot in the database; requests are spaced
    60 / rate_per_minute seconds apart across all processes sharing the database.
    """

    def __init__(
        self,
        db: EnrichmentDB,
        rate_per_minute: int,
        *,
        bucket: str = "eqc",
        sleep: Callable[[float], None] = time.sleep,
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

    def acquire(self) -> None:
        while (wait := self._db.acquire_eqc_permit(self._rate, bucket=self._bucket)) > 0:
            # Ask again rather than sleeping the whole wait: another process may be sharing the slot schedule.
            self._sleep(min(wait, self._max_sleep))
