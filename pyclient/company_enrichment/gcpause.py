"""Python's cyclic garbage collector paused while a batch is resolved.

A batch resolution allocates a tuple per answer and, in the Dagster op, a dict per record, none of them in a
reference cycle: reference counting frees each as soon as it is dropped. (Inline EQC lookups, made within the
caller's budget, do leave a few cycles behind: httpx's request objects, a failed attempt's traceback. The
collector frees them once the pause ends.) The cyclic collector, though, runs every
few hundred allocations and, as the process's heap grows, scans every container it holds again, the caller's
records included. With 200,000 records held in memory that was 0.5 s of a 3.6 s run of the Dagster op, spent in one
thread while the other threads wait: the one part of the run that does not shrink with ``jobs``.

:func:`cyclic_gc_paused` disables the collector for the span of a resolution and enables it again afterwards, unless
it was disabled when the outermost pause began (then it stays as the caller left it). Pauses may nest and overlap
across threads: the collector comes back when the last one ends. Garbage that does form a cycle meanwhile is
collected by the first collection after that.

The ``resolve`` command and the Dagster op (records and frames) pause it: they own their process for the run. The
library's calls (``resolve_batch``, ``resolve_columns``, ``resolve_frame``) do not: in a long-running service that
makes them from many threads at once, overlapping pauses could keep the collector off for as long as the load
lasts. A script or a notebook that resolves a large batch held in memory wraps the call itself::

    with cyclic_gc_paused():
        results = service.resolve_batch(records, jobs=2)
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["cyclic_gc_paused"]

_lock = threading.Lock()
_depth = 0
_enable_after = False


@contextmanager
def cyclic_gc_paused() -> Iterator[None]:
    """Disable the cyclic garbage collector for the ``with`` block; enable it again after the last pause ends if it
    was enabled when the first began."""
    global _depth, _enable_after
    counted = False
    # The count and the flag that says this pause holds it are set together, inside the try: an interrupt
    # (KeyboardInterrupt, a Dagster run stopped) landing anywhere after the count went up still brings it down.
    try:
        with _lock:
            if _depth == 0:
                _enable_after = gc.isenabled()
                gc.disable()
            _depth += 1
            counted = True
        yield
    finally:
        if counted:
            with _lock:
                _depth -= 1
                if _depth == 0 and _enable_after:
                    gc.enable()
