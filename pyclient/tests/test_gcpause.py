"""Python's cyclic garbage collector is paused while the ``resolve`` command and the Dagster op resolve
(``company_enrichment.gcpause``), and comes back as the caller had it: after the run, after a failure, and only once
every overlapping pause has ended. The library's calls leave it alone unless the caller pauses it. Each path is
checked on a real database, its SQL calls observed from the thread that makes them."""

from __future__ import annotations

import gc
import tempfile
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import dagster as dg
import pandas as pd  # type: ignore[import-untyped]
import pytest
from cli_support import read_rows, runner, write
from company_enrichment import gcpause
from company_enrichment.cli import app
from company_enrichment.columns import RecordColumns, ResultRow
from company_enrichment.dagster import RESOURCE_KEY, CompanyEnrichmentResource, resolve_company_ids_op
from company_enrichment.db import EnrichmentDB
from company_enrichment.errors import DatabaseError
from company_enrichment.frames import resolve_frame
from company_enrichment.gcpause import cyclic_gc_paused
from company_enrichment.models import CompanyRecord
from company_enrichment.service import CompanyEnrichmentService


@pytest.fixture(autouse=True)
def collector_enabled() -> Iterator[None]:
    """Every test starts with the collector enabled and leaves it so, whatever it asserts."""
    gc.enable()
    yield
    gc.enable()


# ------------------------------------------------------------------------------------------------ the pause


def test_the_collector_is_off_inside_and_on_again_after() -> None:
    with cyclic_gc_paused():
        assert not gc.isenabled()
    assert gc.isenabled()


def test_a_collector_the_caller_disabled_stays_disabled() -> None:
    gc.disable()
    with cyclic_gc_paused():
        assert not gc.isenabled()
    assert not gc.isenabled(), "the pause gives back the state it found"


def test_an_exception_inside_ends_the_pause() -> None:
    with pytest.raises(ZeroDivisionError), cyclic_gc_paused():
        1 / 0  # noqa: B018
    assert gc.isenabled()


def test_nested_and_overlapping_pauses_end_with_the_last() -> None:
    with cyclic_gc_paused():
        with cyclic_gc_paused():
            assert not gc.isenabled()
        assert not gc.isenabled(), "the inner pause ended, the outer one still holds"
    assert gc.isenabled()

    # Two threads: the first to end leaves the collector off for the other.
    entered, first_done, second_may_end = threading.Event(), threading.Event(), threading.Event()
    seen: list[bool] = []

    def second() -> None:
        with cyclic_gc_paused():
            entered.set()
            second_may_end.wait(10)
            seen.append(gc.isenabled())

    thread = threading.Thread(target=second)
    thread.start()
    assert entered.wait(10)
    with cyclic_gc_paused():
        pass
    first_done.set()
    assert not gc.isenabled(), "the other thread's pause still holds"
    second_may_end.set()
    thread.join(10)
    assert seen == [False]
    assert gc.isenabled(), "the last pause ended: the collector is back"


class _InterruptedOnRelease:
    """A lock whose first release is followed by a KeyboardInterrupt: an interrupt landing right after the pause
    counted itself."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.armed = True

    def __enter__(self) -> None:
        self._lock.acquire()

    def __exit__(self, *exc_info: object) -> None:
        self._lock.release()
        if self.armed:
            self.armed = False
            raise KeyboardInterrupt


def test_an_interrupt_right_after_the_pause_began_still_ends_it(monkeypatch: pytest.MonkeyPatch) -> None:
    lock = _InterruptedOnRelease()
    monkeypatch.setattr(gcpause, "_lock", lock)
    with pytest.raises(KeyboardInterrupt), cyclic_gc_paused():
        pytest.fail("the interrupt came before the block")
    assert not lock.armed, "the interrupt was raised where it was meant to be"
    assert gcpause._depth == 0, "the pause that counted itself took itself off again"
    assert gc.isenabled()
    with cyclic_gc_paused():
        assert not gc.isenabled()
    assert gc.isenabled(), "later pauses end as they should"


# ------------------------------------------------------------------------------------------------ the paths


@pytest.fixture
def observed(monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    """Whether the collector was enabled at each SQL call of batch resolution, in the thread that made it."""
    seen: list[bool] = []
    real = CompanyEnrichmentService._resolve_rows

    def spy(self: CompanyEnrichmentService, columns: RecordColumns, *, preview: bool = False) -> list[ResultRow]:
        seen.append(gc.isenabled())
        return real(self, columns, preview=preview)

    monkeypatch.setattr(CompanyEnrichmentService, "_resolve_rows", spy)
    return seen


def _names(tag: str, count: int) -> list[str]:
    return [f"{tag}回收器{i % 7}有限公司" for i in range(count)]


def _service_columns(db_uri: str, tag: str) -> int:
    with EnrichmentDB.connect(db_uri, max_size=2) as db:
        rows = CompanyEnrichmentService(db, None).resolve_columns(
            RecordColumns(customer_names=_names(tag, 30)), jobs=2, chunk_size=4
        )
    return len(rows)


def _service_batch(db_uri: str, tag: str) -> int:
    with EnrichmentDB.connect(db_uri, max_size=1) as db:
        results = CompanyEnrichmentService(db, None).resolve_batch(
            [CompanyRecord(customer_name=name) for name in _names(tag, 30)]
        )
    return len(results)


def _frame(db_uri: str, tag: str) -> int:
    with EnrichmentDB.connect(db_uri, max_size=2) as db:
        out = resolve_frame(
            pd.DataFrame({"customer_name": _names(tag, 30)}),
            service_or_db=CompanyEnrichmentService(db, None),
            jobs=2,
            chunk_size=4,
        )
    return len(out)


def _cli(db_uri: str, tag: str) -> int:
    with tempfile.TemporaryDirectory() as tmp:
        source = write(Path(tmp) / "in.csv", "customer_name\n" + "".join(f"{name}\n" for name in _names(tag, 30)))
        result = runner.invoke(
            app,
            ["resolve", str(source), "-o", str(Path(tmp) / "out.csv"), "--jobs", "2", "--batch-size", "4"],
            env={"WDH_DATABASE__URI": db_uri, "WDH_COMPANY_ENRICHMENT_ENABLED": "false"},
        )
        assert result.exit_code == 0, result.output
        return len(read_rows(Path(tmp) / "out.csv"))


@dg.graph
def _resolve_graph(records: Any) -> None:
    resolve_company_ids_op(records)


_resolve_job = _resolve_graph.to_job(name="gcpause_resolve_job")


def _run_op(db_uri: str, records: Any, *, jobs: int = 2, raise_on_error: bool = True) -> dg.ExecuteInProcessResult:
    return _resolve_job.execute_in_process(
        input_values={"records": records},
        resources={RESOURCE_KEY: CompanyEnrichmentResource(database_uri=db_uri, enabled=False)},
        run_config={"ops": {"resolve_company_ids_op": {"config": {"chunk_size": 4, "jobs": jobs}}}},
        raise_on_error=raise_on_error,
    )


def _dagster(db_uri: str, tag: str) -> int:
    result = _run_op(db_uri, [{"customer_name": name} for name in _names(tag, 30)])
    assert result.success
    return len(result.output_for_node("resolve_company_ids_op"))


def _dagster_frame(db_uri: str, tag: str) -> int:
    result = _run_op(db_uri, pd.DataFrame({"customer_name": _names(tag, 30)}))
    assert result.success
    return len(result.output_for_node("resolve_company_ids_op"))


#: The command and the op, which own their process for the run: they pause the collector.
PAUSED: dict[str, Callable[[str, str], int]] = {
    "resolve command": _cli,
    "Dagster op, records": _dagster,
    "Dagster op, a DataFrame": _dagster_frame,
}
#: The library's calls, which a long-running service may make from many threads at once: they leave it alone.
LEFT_ALONE: dict[str, Callable[[str, str], int]] = {
    "service.resolve_columns": _service_columns,
    "service.resolve_batch": _service_batch,
    "frames.resolve_frame": _frame,
}


@pytest.mark.parametrize("path", sorted(PAUSED))
def test_the_command_and_the_op_pause_the_collector_and_give_it_back(
    path: str, db_uri: str, tag: str, observed: list[bool]
) -> None:
    assert PAUSED[path](db_uri, tag) == 30
    assert observed, "the path resolved through CompanyEnrichmentService._resolve_rows"
    assert not any(observed), f"the collector was on during {observed.count(True)} of {len(observed)} SQL calls"
    assert gc.isenabled(), "on again after the run"


@pytest.mark.parametrize("path", sorted(LEFT_ALONE))
def test_the_library_calls_leave_the_collector_alone_unless_the_caller_pauses_it(
    path: str, db_uri: str, tag: str, observed: list[bool]
) -> None:
    assert LEFT_ALONE[path](db_uri, tag) == 30
    assert observed and all(observed), "the collector stayed on for every SQL call"
    observed.clear()
    with cyclic_gc_paused():
        assert LEFT_ALONE[path](db_uri, f"{tag}-paused") == 30
    assert observed and not any(observed), "inside the caller's pause it was off for every SQL call"
    assert gc.isenabled()


def test_a_failed_dagster_run_gives_the_collector_back(
    db_uri: str, tag: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[bool] = []

    def failing(self: CompanyEnrichmentService, columns: RecordColumns, *, preview: bool = False) -> list[ResultRow]:
        calls.append(gc.isenabled())
        raise DatabaseError("the database went away", sqlstate="57P01")

    monkeypatch.setattr(CompanyEnrichmentService, "_resolve_rows", failing)
    result = _run_op(db_uri, [{"customer_name": name} for name in _names(tag, 10)], jobs=1, raise_on_error=False)
    assert not result.success
    failure = result.failure_data_for_node("resolve_company_ids_op")
    assert failure is not None and failure.error is not None
    assert "57P01" in failure.error.to_string()
    assert calls and not any(calls)
    assert gc.isenabled(), "on again after the failure"
