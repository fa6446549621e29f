"""company_enrichment.frames.resolve_frame: pandas and polars frames in, the same kind out, against the real database.

The answers must be those of resolve_company_ids called directly for the same records; missing values (None, NaN,
pd.NA, polars null, empty and blank strings) count as absent; order and the pandas index are kept; plan_only writes
nothing; jobs=2 answers as jobs=1; a bad column name is an error naming it."""

from __future__ import annotations

import math
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import pandas as pd  # type: ignore[import-untyped]
import polars as pl
import psycopg
import pytest
from company_enrichment.columns import RESULT_FIELDS
from company_enrichment.db import EnrichmentDB
from company_enrichment.frames import _values, resolve_frame
from company_enrichment.models import CompanyRecord, MappingRow
from company_enrichment.service import CompanyEnrichmentService


@pytest.fixture
def db(db_uri: str) -> Iterator[EnrichmentDB]:
    with EnrichmentDB.connect(db_uri, max_size=4) as database:
        yield database


def _load(db: EnrichmentDB, tag: str) -> None:
    db.upsert_internal_mappings(
        [
            MappingRow(alias_name=f"{tag}-PLAN", canonical_id="600000101", match_type="plan"),
            MappingRow(alias_name=f"{tag}客户甲", canonical_id="600000102", match_type="name"),
        ]
    )


def _raw(tag: str) -> dict[str, list[Any]]:
    """Columns with every kind of gap; every record has at least one real field (else a fresh TEMP id each run)."""
    return {
        "plan": [f"{tag}-PLAN", None, float("nan"), "", "  ", f"{tag}-NOPE", f"{tag}-PLAN", pd.NA],
        "cust": [None, f"{tag}客户甲", f"{tag}新公司", f"{tag}无名有限公司", " \t", pd.NA, "", f"{tag}新公司"],
        "acct": [" ", "", None, "A-1", f"{tag}-acct", float("nan"), None, "A-1"],
    }


def _absent(value: Any) -> bool:
    return value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)) or not str(value).strip()


def _records(raw: dict[str, list[Any]]) -> list[CompanyRecord]:
    clean = {k: [None if _absent(v) else v for v in vs] for k, vs in raw.items()}
    return [
        CompanyRecord(plan_code=p, customer_name=c, account_name=a)
        for p, c, a in zip(clean["plan"], clean["cust"], clean["acct"], strict=True)
    ]


def _expected(db: EnrichmentDB, records: list[CompanyRecord]) -> list[tuple[Any, ...]]:
    return [
        (r.company_id, r.status.value, r.source, r.match_type, r.temp_id, r.request_id)
        for r in db.resolve_company_ids(records)
    ]


def _pandas_rows(df: pd.DataFrame) -> list[tuple[Any, ...]]:
    return [
        tuple(
            None if v is pd.NA or v is None else (int(v) if f == "request_id" else v)
            for f, v in zip(RESULT_FIELDS, row, strict=True)
        )
        for row in df[list(RESULT_FIELDS)].itertuples(index=False, name=None)
    ]


def _counts(db_uri: str) -> tuple[int, ...]:
    with psycopg.connect(db_uri, autocommit=True) as conn:
        row = conn.execute(
            "SELECT (SELECT count(*) FROM enterprise.lookup_requests),"
            " (SELECT count(*) FROM enterprise.company_mapping),"
            " (SELECT count(*) FROM enterprise.temp_id_assignments)"
        ).fetchone()
    assert row is not None
    return tuple(int(v) for v in row)


KW: dict[str, Any] = {"plan_code": "plan", "customer_name": "cust", "account_name": "acct"}


def test_pandas_frame_answers_as_resolve_company_ids_keeping_index_and_order(db: EnrichmentDB, tag: str) -> None:
    _load(db, tag)
    raw = _raw(tag)
    index = pd.Index([70, 3, 11, 5, 2, 99, 40, 1], name="row")
    df = pd.DataFrame({**raw, "other": range(8)}, index=index)
    out = resolve_frame(df, service_or_db=db, **KW)
    assert isinstance(out, pd.DataFrame)
    assert list(out.index) == list(index) and out.index.name == "row"
    assert list(out["other"]) == list(range(8))
    assert list(out.columns) == [*df.columns, *RESULT_FIELDS]
    assert "company_id" not in df.columns  # the input frame is left as it was
    got = _pandas_rows(out)
    assert got == _expected(db, _records(raw))
    assert got[0][:2] == ("600000101", "success_internal") and got[1][:2] == ("600000102", "success_internal")
    assert out["request_id"].dtype == "Int64"
    # The blank customer name of row 4 counted as absent: its TEMP id is that of the record without a name.
    assert got[4][1] == "temp_assigned"


def test_polars_frame_answers_as_resolve_company_ids(db: EnrichmentDB, tag: str) -> None:
    _load(db, tag)
    raw = _raw(tag)
    # polars has no NaN in a text column, nor pd.NA: they become null (what such a column holds).
    pl_raw = {k: [None if (v is pd.NA or (isinstance(v, float))) else v for v in vs] for k, vs in raw.items()}
    df = pl.DataFrame({**pl_raw, "n": list(range(8))})
    out = resolve_frame(df, service_or_db=CompanyEnrichmentService(db, None), **KW)
    assert isinstance(out, pl.DataFrame)
    assert out["n"].to_list() == list(range(8))
    assert out.schema["request_id"] == pl.Int64 and out.schema["status"] == pl.String
    got = [tuple(r) for r in out.select(RESULT_FIELDS).rows()]
    assert got == _expected(db, _records(raw))


def test_default_column_names_and_numbers_as_text(db: EnrichmentDB, tag: str) -> None:
    df = pd.DataFrame({"customer_name": [f"{tag}甲公司", None], "account_number": [12345, float("nan")]})
    out = resolve_frame(df, service_or_db=db, plan_only=True)
    records = [CompanyRecord(customer_name=f"{tag}甲公司", account_number="12345")]
    preview = db.preview_company_ids(records)
    assert out["status"].iloc[0] == preview[0].status.value
    assert out["status"].iloc[1] == "temp_assigned"  # no field at all


def test_string_category_and_mixed_dtypes_and_an_empty_frame(db: EnrichmentDB, tag: str) -> None:
    _load(db, tag)
    df = pd.DataFrame(
        {
            "plan_code": pd.Series([f"{tag}-PLAN", pd.NA, "  "], dtype="string"),
            "customer_name": pd.Series([None, f"{tag}客户甲", f"{tag}客户甲"], dtype="category"),
            "account_number": pd.Series([7, f"{tag}-A", None], dtype=object),
        }
    )
    out = resolve_frame(df, service_or_db=db)
    records = [
        CompanyRecord(plan_code=f"{tag}-PLAN", account_number="7"),
        CompanyRecord(customer_name=f"{tag}客户甲", account_number=f"{tag}-A"),
        CompanyRecord(customer_name=f"{tag}客户甲"),
    ]
    assert _pandas_rows(out) == _expected(db, records)
    assert list(out["company_id"]) == ["600000101", "600000102", "600000102"]
    # polars keeps NaN apart from null: a NaN number counts as absent too; an Object column is taken as text.
    floats = pl.DataFrame(
        {"customer_name": [f"{tag}客户甲", f"{tag}客户甲"], "account_number": [float("nan"), 7.0]}
    ).with_columns(pl.Series("account_name", [None, f"{tag}-X"], dtype=pl.Object))
    got = resolve_frame(floats, service_or_db=db, plan_only=True)
    preview = db.preview_company_ids(
        [
            CompanyRecord(customer_name=f"{tag}客户甲"),
            CompanyRecord(customer_name=f"{tag}客户甲", account_name=f"{tag}-X", account_number="7"),
        ]
    )
    assert [tuple(r) for r in got.select(RESULT_FIELDS).rows()] == [
        (r.company_id, r.status.value, r.source, r.match_type, r.temp_id, r.request_id) for r in preview
    ]
    assert _values(pl.Series([1.0, float("nan"), None]), "polars") == ["1", None, None]
    assert _values(pl.Series([" ", None], dtype=pl.Object), "polars") is None
    empty = resolve_frame(pl.DataFrame({"customer_name": []}, schema={"customer_name": pl.String}), service_or_db=db)
    assert empty.height == 0 and empty.columns == ["customer_name", *RESULT_FIELDS]


def test_plan_only_writes_nothing_and_answers_as_preview(db: EnrichmentDB, db_uri: str, tag: str) -> None:
    _load(db, tag)
    raw = _raw(tag)
    before = _counts(db_uri)
    out = resolve_frame(pd.DataFrame(raw), service_or_db=db, plan_only=True, **KW)
    assert _counts(db_uri) == before
    preview = [
        (r.company_id, r.status.value, r.source, r.match_type, r.temp_id, r.request_id)
        for r in db.preview_company_ids(_records(raw))
    ]
    assert _pandas_rows(out) == preview
    # A new name would be queued by resolution: the preview names no request.
    assert out["request_id"].isna().all()
    with psycopg.connect(db_uri) as conn:
        row = conn.execute(
            "SELECT count(*) FROM enterprise.lookup_requests WHERE name LIKE %s", (f"{tag}%",)
        ).fetchone()
    assert row == (0,)


def test_jobs_two_answers_as_jobs_one(db: EnrichmentDB, tag: str) -> None:
    _load(db, tag)
    names = [f"{tag}并行{i % 7}有限公司" if i % 3 else None for i in range(60)]
    plans = [f"{tag}-PLAN" if i % 5 == 0 else f"{tag}-P{i % 4}" for i in range(60)]
    df = pl.DataFrame({"plan_code": plans, "customer_name": names})
    one = resolve_frame(df, service_or_db=db, jobs=1, chunk_size=7)
    two = resolve_frame(df, service_or_db=db, jobs=2, chunk_size=7)
    assert one.equals(two)
    assert set(one["status"].to_list()) >= {"success_internal", "temp_assigned", "pending_lookup"}


def test_with_profile_adds_what_eqc_said(db: EnrichmentDB, tag: str) -> None:
    _load(db, tag)
    df = pd.DataFrame({"plan_code": [f"{tag}-PLAN", f"{tag}-NEW"]})
    out = resolve_frame(df, service_or_db=db, with_profile=True)
    assert list(out.columns)[-2:] == ["full_name", "unite_code"]
    assert out["status"].iloc[1] == "temp_assigned" and out["full_name"].iloc[1] is None


def test_a_bad_column_name_is_an_error_naming_it(db: EnrichmentDB) -> None:
    df = pd.DataFrame({"customer_name": ["x"]})
    with pytest.raises(ValueError, match=r"customer_name='cust_nme': the frame has no such column.*customer_name"):
        resolve_frame(df, service_or_db=db, customer_name="cust_nme")
    with pytest.raises(ValueError, match="account_number='acct'"):
        resolve_frame(pl.DataFrame({"customer_name": ["x"]}), service_or_db=db, account_number="acct")
    with pytest.raises(ValueError, match="none of the record columns"):
        resolve_frame(pd.DataFrame({"z": [1]}), service_or_db=db)
    with pytest.raises(ValueError, match="already has the column"):
        resolve_frame(pd.DataFrame({"customer_name": ["x"], "status": ["y"]}), service_or_db=db)
    with pytest.raises(TypeError, match="pandas or polars DataFrame"):
        resolve_frame([{"customer_name": "x"}], service_or_db=db)


def test_importing_company_enrichment_imports_no_frame_library() -> None:
    code = (
        "import sys, company_enrichment, company_enrichment.service, company_enrichment.db, company_enrichment.frames,"
        " company_enrichment.cli, company_enrichment.dagster;"
        "bad = [m for m in ('pandas', 'polars', 'pyarrow') if m in sys.modules]; print(bad); assert not bad"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
