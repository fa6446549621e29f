"""Parquet input for ``company-enrichment resolve`` (issue 13, item 2; the extra ``[parquet]``): read a row group
at a time, nulls as empty fields, integer codes as their digits, Parquet output with nothing left on errors."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pyarrow as pa  # type: ignore[import-untyped]
import pyarrow.parquet as pq  # type: ignore[import-untyped]
import pytest
from cli_support import runner, write
from company_enrichment.cli import app
from company_enrichment.parquetio import open_parquet
from company_enrichment.standin import EQCStandin


@pytest.fixture
def standin(tag: str) -> Iterator[EQCStandin]:
    with EQCStandin({"token": "parquet-token", "companies": []}).start() as server:
        yield server


def test_resolve_reads_parquet_row_groups_with_nulls(
    env: dict[str, str], tmp_path: Path, tag: str, empty_queue: None
) -> None:
    number = 800_000_000_000 + int(tag[-6:], 16)
    mappings = write(tmp_path / "m.csv", f"alias_name,canonical_id,match_type\n{number},655555555,account\n")
    assert runner.invoke(app, ["mappings", "import", str(mappings)]).exit_code == 0
    table = pa.table(
        {
            "customer_name": [f"{tag}某公司", None, f"{tag}无此公司"],
            "account_number": pa.array([number, None, None], pa.int64()),
            "note": [None, "空行", "x"],
        }
    )
    source = tmp_path / "in.parquet"
    pq.write_table(table, source, row_group_size=2)
    assert pq.ParquetFile(source).num_row_groups == 2
    assert [line for line, _ in open_parquet(source).rows()] == [2, 3, 4]
    result = runner.invoke(app, ["resolve", str(source), "--budget", "0"])
    assert result.exit_code == 0, result.output
    rows = pq.read_table(tmp_path / "in.resolved.parquet").to_pylist()
    assert rows[0]["account_number"] == str(number) and rows[0]["company_id"] == "655555555"
    assert rows[0]["note"] is None, "a null stays null"
    assert rows[1]["customer_name"] is None and rows[1]["status"] == "temp_assigned"
    assert rows[2]["status"] == "pending_lookup" and rows[2]["request_id"]


def test_resolve_refuses_a_file_that_is_not_parquet_and_writes_nothing(env: dict[str, str], tmp_path: Path) -> None:
    source = write(tmp_path / "in.parquet", "customer_name\nA\n")
    result = runner.invoke(app, ["resolve", str(source), "-o", str(tmp_path / "out.parquet")])
    assert result.exit_code == 1, result.output
    assert "in.parquet: not a readable Parquet file" in " ".join(result.output.split())
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.parquet"]
