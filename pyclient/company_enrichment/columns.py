"""Records and results of batch resolution as columns and plain tuples: the hot path, with no model per row.

A batch of records is a :class:`RecordColumns` (one list per record field, ``None`` for a field no record has); its
answers are :data:`ResultRow` tuples in input order, the columns of ``enterprise.company_id_result``. The typed
:class:`~company_enrichment.models.CompanyIdResult` is built only at the API's edge (:func:`to_result`).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from .models import CompanyIdResult, CompanyRecord, ResolutionStatus

__all__ = ["RESULT_FIELDS", "RecordColumns", "ResultRow", "chunk_bounds", "to_result"]

#: company_id, status, source, match_type, temp_id, request_id: the columns of enterprise.company_id_result.
ResultRow = tuple[str | None, str, str | None, str | None, str | None, int | None]
RESULT_FIELDS = ("company_id", "status", "source", "match_type", "temp_id", "request_id")

Column = Sequence[str | None] | None


@dataclass(frozen=True, slots=True)
class RecordColumns:
    """A batch of records, column by column (each column as long as the batch, or None when no record has it)."""

    plan_codes: Column = None
    customer_names: Column = None
    account_names: Column = None
    account_numbers: Column = None

    def __post_init__(self) -> None:
        sizes = {len(c) for c in self.as_tuple() if c is not None}
        if len(sizes) > 1:
            raise ValueError(f"the columns of a batch differ in length: {sorted(sizes)}")

    def as_tuple(self) -> tuple[Column, Column, Column, Column]:
        return (self.plan_codes, self.customer_names, self.account_names, self.account_numbers)

    def __len__(self) -> int:
        return next((len(c) for c in self.as_tuple() if c is not None), 0)

    @classmethod
    def from_records(cls, records: Sequence[CompanyRecord]) -> RecordColumns:
        return cls(
            [r.plan_code for r in records],
            [r.customer_name for r in records],
            [r.account_name for r in records],
            [r.account_number for r in records],
        )

    def slice(self, start: int, stop: int) -> RecordColumns:
        return RecordColumns(*(None if c is None else c[start:stop] for c in self.as_tuple()))

    def take(self, positions: Sequence[int]) -> RecordColumns:
        return RecordColumns(*(None if c is None else [c[i] for i in positions] for c in self.as_tuple()))

    def record(self, position: int) -> CompanyRecord:
        values = [None if c is None else c[position] for c in self.as_tuple()]
        return CompanyRecord(
            plan_code=values[0], customer_name=values[1], account_name=values[2], account_number=values[3]
        )


#: status text -> member: a dict lookup, where ResolutionStatus(text) runs the enum's lookup machinery per row.
_STATUS: dict[str, ResolutionStatus] = {s.value: s for s in ResolutionStatus}
_new = object.__new__
_set = object.__setattr__


def to_result(row: ResultRow) -> CompanyIdResult:
    """The typed model of one result row (no re-validation: the database guarantees the types).

    What ``CompanyIdResult.model_construct(...)`` would build, about twice as fast (2.5 against 5.2 us a row, a
    third of the client's time in a batch call): the instance's dict is set in one step, every field marked as
    set, no extra and no private attributes. ``test_columns.py`` holds the two equal, field for field, for every
    status, so a pydantic release that changed what a model holds would fail there.
    """
    status = _STATUS.get(row[1])
    if status is None:
        status = ResolutionStatus(row[1])  # raises ValueError, naming the value
    model = _new(CompanyIdResult)
    _set(
        model,
        "__dict__",
        {
            "company_id": row[0],
            "status": status,
            "source": row[2],
            "match_type": row[3],
            "temp_id": row[4],
            "request_id": row[5],
        },
    )
    _set(model, "__pydantic_fields_set__", set(RESULT_FIELDS))
    _set(model, "__pydantic_extra__", None)
    _set(model, "__pydantic_private__", None)
    return model


def chunk_bounds(size: int, chunk: int) -> Iterator[tuple[int, int]]:
    """(start, stop) of consecutive chunks of at most ``chunk`` covering ``range(size)``."""
    if chunk < 1:
        raise ValueError("chunk must be at least 1")
    for start in range(0, size, chunk):
        yield start, min(start + chunk, size)
