"""DataFrames in, DataFrames out: resolve a pandas or polars frame with the set-based column path.

Install the extra for your frame library: ``pip install "company-enrichment[pandas]"`` or ``"[polars]"``. Neither
pandas nor polars (nor pyarrow) is imported until :func:`resolve_frame` is called.

Each record column goes through Arrow to a plain list in one step (no Python loop over the rows); missing values
(None, NaN, ``pd.NA``, polars null, empty and blank strings) count as absent. The answers come from
:meth:`~company_enrichment.service.CompanyEnrichmentService.resolve_batches`, as the CLI's ``resolve`` gets them.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from .columns import RESULT_FIELDS, RecordColumns, ResultRow, chunk_bounds
from .db import EnrichmentDB
from .models import ResolutionStatus
from .service import CompanyEnrichmentService, check_jobs

__all__ = ["PROFILE_FIELDS", "RECORD_FIELDS", "is_frame", "resolve_frame"]

#: The record fields, in RecordColumns order; each keyword of resolve_frame names the frame's column for one.
RECORD_FIELDS = ("plan_code", "customer_name", "account_name", "account_number")
#: The columns with_profile adds: what EQC said about each company_id (None for TEMP ids and unknown ids).
PROFILE_FIELDS = ("full_name", "unite_code")


def is_frame(value: object) -> bool:
    """Whether ``value`` is a pandas or polars DataFrame (checked without importing either)."""
    kind = type(value)
    return kind.__name__ == "DataFrame" and kind.__module__.split(".")[0] in ("pandas", "polars")


def resolve_frame(
    df: Any,
    *,
    service_or_db: CompanyEnrichmentService | EnrichmentDB,
    plan_code: str | None = None,
    customer_name: str | None = None,
    account_name: str | None = None,
    account_number: str | None = None,
    jobs: int = 1,
    plan_only: bool = False,
    with_profile: bool = False,
    chunk_size: int = 5_000,
) -> Any:
    """``df`` (pandas or polars) with company_id, status, source, match_type, temp_id and request_id added.

    Each keyword names the frame's column for that record field; left None, the field's own name is used when the
    frame has such a column (else the field is absent for every record). A name the frame lacks is a ValueError
    naming it. The rows keep their order (and, for pandas, their index). ``jobs`` chunks of ``chunk_size`` records
    are resolved at once, each on a pooled connection; the answers are the same for any value. ``plan_only``
    answers what resolution would give (preview_company_ids) and writes nothing, no EQC call. ``with_profile`` adds
    full_name and unite_code, as ``resolve --with-profile`` does. Given an :class:`EnrichmentDB`, no EQC lookup is
    made inline; given a service, its inline budget is spent as in ``resolve_batch``.
    """
    check_jobs(jobs)
    if not 1 <= chunk_size <= 100_000:
        raise ValueError(f"chunk_size must be between 1 and 100000, got {chunk_size}")
    kind = _kind(df)
    names = _column_names(df, (plan_code, customer_name, account_name, account_number))
    added = [*RESULT_FIELDS, *(PROFILE_FIELDS if with_profile else ())]
    clash = [name for name in added if name in _columns_of(df)]
    if clash:
        raise ValueError(f"the frame already has the column(s) {', '.join(clash)} that resolution adds: drop or rename")
    # Arrow arrays of text; each chunk becomes lists only when it is sent, so one chunk at a time is in Python.
    arrays = [None if name is None else _text(df[name], kind) for name in names]
    service = service_or_db if isinstance(service_or_db, CompanyEnrichmentService) else _plain(service_or_db)
    size = len(df)

    def batches() -> Iterator[RecordColumns]:
        for start, stop in chunk_bounds(size, chunk_size):
            yield RecordColumns(*(None if a is None else a.slice(start, stop - start).to_pylist() for a in arrays))

    results: list[list[Any]] = [[] for _ in added]
    for part in service.resolve_batches(batches(), jobs=jobs, preview=plan_only):
        answers: list[Sequence[Any]] = [*zip(*part, strict=True)] if part else []
        if with_profile:
            answers.extend(_profiles(service.db, part))
        for column, values in zip(results, answers, strict=False):
            column.extend(values)
    if len(results[0]) != size:
        raise RuntimeError(f"the database answered {len(results[0])} rows for {size} records")
    return _with_columns(df, kind, dict(zip(added, results, strict=True)))


# ------------------------------------------------------------------------------------------------ helpers


def _kind(df: Any) -> str:
    if not is_frame(df):
        raise TypeError(f"resolve_frame wants a pandas or polars DataFrame, not a {type(df).__name__}")
    return str(type(df).__module__.split(".")[0])


def _columns_of(df: Any) -> list[str]:
    return [str(c) for c in df.columns]


def _column_names(df: Any, chosen: Sequence[str | None]) -> list[str | None]:
    have = list(df.columns)
    names: list[str | None] = []
    for field, name in zip(RECORD_FIELDS, chosen, strict=True):
        if name is not None and name not in have:
            raise ValueError(
                f"{field}={name!r}: the frame has no such column (its columns: {', '.join(map(str, have))})"
            )
        column = name if name is not None else field
        names.append(column if column in have else None)
    if not any(names):
        raise ValueError(
            f"the frame has none of the record columns {', '.join(RECORD_FIELDS)} and no keyword names one "
            f"(its columns: {', '.join(map(str, have))})"
        )
    return names


def _text(series: Any, kind: str) -> Any:
    """A column as an Arrow text array: null, NaN and blank strings become null; None when all are."""
    import pyarrow as pa  # type: ignore[import-untyped]
    import pyarrow.compute as pc  # type: ignore[import-untyped]

    if kind == "polars":
        import polars as pl

        if series.dtype == pl.Object:  # Python objects, which Arrow cannot take as they are
            try:
                array = pa.array(series.to_list(), from_pandas=True)
            except (pa.ArrowInvalid, pa.ArrowTypeError) as exc:
                raise TypeError(f"column {series.name!r}: an Object column mixing kinds of values: cast it") from exc
        else:
            array = series.to_arrow()
    else:
        try:
            array = pa.array(series, from_pandas=True)
        except (pa.ArrowInvalid, pa.ArrowTypeError):  # an object column mixing text and numbers
            array = pa.array(series.astype(str).where(series.notna(), None), from_pandas=True)
    if isinstance(array, pa.ChunkedArray):
        array = array.combine_chunks()
    if pa.types.is_floating(array.type):  # polars keeps NaN apart from null
        array = pc.if_else(pc.fill_null(pc.is_nan(array), False), pa.scalar(None, array.type), array)
    string = pa.types.is_string(array.type) or pa.types.is_large_string(array.type)
    text = array if string else pc.cast(array, pa.string())
    blank = pc.equal(pc.utf8_trim_whitespace(text), "")
    text = pc.if_else(pc.fill_null(blank, False), pa.scalar(None, pa.string()), text)
    if text.null_count == len(text):
        return None
    return text


def _values(series: Any, kind: str) -> list[str | None] | None:
    """A column as a list of text (see :func:`_text`); None when every value is absent."""
    text = _text(series, kind)
    values: list[str | None] | None = None if text is None else text.to_pylist()
    return values


def _plain(db: EnrichmentDB) -> CompanyEnrichmentService:
    """A service over ``db`` that never calls EQC (its inline budget is zero)."""
    return CompanyEnrichmentService(db, None, sync_lookup_budget=0)


def _profiles(db: EnrichmentDB, rows: Sequence[ResultRow]) -> list[list[str | None]]:
    """full_name and unite_code of each row's company_id (None for TEMP ids and ids EQC never returned)."""
    temp = ResolutionStatus.TEMP_ASSIGNED.value
    ids = sorted({r[0] for r in rows if r[0] and r[1] != temp})
    known: dict[str, tuple[str, str | None]] = {}
    for start, stop in chunk_bounds(len(ids), 5_000):
        known.update((p.company_id, (p.full_name, p.unite_code)) for p in db.company_profiles(ids[start:stop]))
    missing: tuple[str | None, str | None] = (None, None)
    pairs = [known.get(r[0] or "", missing) if r[1] != temp else missing for r in rows]
    return [[p[0] for p in pairs], [p[1] for p in pairs]]


def _with_columns(df: Any, kind: str, added: dict[str, list[Any]]) -> Any:
    if kind == "polars":
        import polars as pl

        return df.with_columns(
            [
                pl.Series(name, values, dtype=pl.Int64 if name == "request_id" else pl.String)
                for name, values in added.items()
            ]
        )
    import pandas as pd  # type: ignore[import-untyped]

    out = df.copy()
    for name, values in added.items():
        out[name] = pd.array(values, dtype="Int64" if name == "request_id" else object)
    return out
