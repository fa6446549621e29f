"""Excel input for ``company-enrichment resolve`` (issue 13, item 2; the extra ``[excel]``): --sheet by name or
index, the header is the first non-empty row, numeric codes read as their digits, .xlsx output, clear errors for an
empty or missing sheet with nothing written."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import xlsxwriter  # type: ignore[import-untyped]
from cli_support import runner, write
from company_enrichment.cli import app
from company_enrichment.standin import EQCStandin
from python_calamine import CalamineWorkbook


@pytest.fixture
def standin(tag: str) -> Iterator[EQCStandin]:
    with EQCStandin({"token": "excel-token", "companies": []}).start() as server:
        yield server


def _workbook(path: Path, sheets: dict[str, list[list[object]]]) -> Path:
    book = xlsxwriter.Workbook(str(path))
    for name, rows in sheets.items():
        sheet = book.add_worksheet(name)
        for r, row in enumerate(rows):
            for c, value in enumerate(row):
                if value is not None:
                    sheet.write(r, c, value)  # numbers are written as numbers
    book.close()
    return path


def _read(path: Path) -> list[list[object]]:
    book = CalamineWorkbook.from_path(str(path))
    return [list(row) for row in book.get_sheet_by_index(0).to_python()]


def test_resolve_reads_an_excel_sheet_with_a_numeric_account_number(
    env: dict[str, str], tmp_path: Path, tag: str, empty_queue: None
) -> None:
    number = 900_000_000_000 + int(tag[-6:], 16)
    mappings = write(
        tmp_path / "m.csv", f"alias_name,canonical_id,match_type\n{number},644444444,account\n{tag}-P1,644444445,plan\n"
    )
    assert runner.invoke(app, ["mappings", "import", str(mappings)]).exit_code == 0
    book = _workbook(
        tmp_path / "in.xlsx",
        {
            "other": [["nothing", "here"]],
            "数据": [
                [],
                [None, None, None],
                ["客户名称", "账号", "plan_code", "金额"],
                [f"{tag}某公司", number, None, 12.5],
                [f"{tag}无此公司", None, f"{tag}-P1", 3],
            ],
        },
    )
    out = tmp_path / "out.xlsx"
    args = ["resolve", str(book), "-o", str(out), "--budget", "0", "--sheet", "数据"]
    result = runner.invoke(app, [*args, "--customer-name-column", "客户名称", "--account-number-column", "账号"])
    assert result.exit_code == 0, result.output
    rows = _read(out)
    header = [str(h) for h in rows[0]]
    assert header[:4] == ["客户名称", "账号", "plan_code", "金额"] and "company_id" in header
    first = dict(zip(header, rows[1], strict=True))
    assert first["账号"] == str(number), "an integer code is its digits, no trailing .0"
    assert first["金额"] == "12.5" and first["company_id"] == "644444444"
    second = dict(zip(header, rows[2], strict=True))
    assert second["金额"] == "3" and second["company_id"] == "644444445" and second["账号"] == ""
    # The same sheet by index, written as CSV because -o says .csv.
    csv_out = tmp_path / "out.csv"
    result = runner.invoke(app, [*args[:-1], "1", "-o", str(csv_out), "--customer-name-column", "客户名称"])
    assert result.exit_code == 0, result.output
    assert csv_out.read_text(encoding="utf-8").splitlines()[0].startswith("客户名称,账号,plan_code,金额,company_id")


def test_resolve_writes_xlsx_next_to_an_excel_input_by_default(
    env: dict[str, str], tmp_path: Path, tag: str, empty_queue: None
) -> None:
    book = _workbook(tmp_path / "in.xlsx", {"s": [["customer_name"], [f"{tag}无此公司"]]})
    result = runner.invoke(app, ["resolve", str(book), "--budget", "0"])
    assert result.exit_code == 0, result.output
    rows = _read(tmp_path / "in.resolved.xlsx")
    assert rows[1][0] == f"{tag}无此公司" and rows[1][2] == "pending_lookup"


@pytest.mark.parametrize(
    ("sheet_args", "message", "code"),
    [
        (["--sheet", "空"], "the sheet '空' is empty: expected a header row", 1),
        (["--sheet", "missing"], "--sheet 'missing': in.xlsx has no such sheet (its sheets: 数据, 空)", 1),
        (["--sheet", "7"], "--sheet '7': in.xlsx has no such sheet", 1),
    ],
)
def test_resolve_rejects_an_empty_or_missing_sheet_and_writes_nothing(
    env: dict[str, str], tmp_path: Path, sheet_args: list[str], message: str, code: int
) -> None:
    book = _workbook(tmp_path / "in.xlsx", {"数据": [["customer_name"], ["x"]], "空": []})
    out = tmp_path / "out.xlsx"
    result = runner.invoke(app, ["resolve", str(book), "-o", str(out), *sheet_args])
    assert result.exit_code == code, result.output
    assert message in " ".join(result.output.split())
    assert "Traceback" not in result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.xlsx"]


def test_a_sheet_with_merged_header_cells_is_refused_naming_the_column(env: dict[str, str], tmp_path: Path) -> None:
    """Excel keeps a merged cell's value in its first cell only: a header "客户信息" merged over two columns leaves
    the second without a name. That is refused (exit 1, the column and its neighbour named, nothing written), never
    read as a column with no name."""
    path = tmp_path / "merged.xlsx"
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet("数据")
    sheet.merge_range(0, 0, 0, 1, "客户信息")
    sheet.write_row(0, 2, ["plan_code"])
    sheet.write_row(1, 0, ["某公司", "备注", "P1"])
    book.close()
    result = runner.invoke(app, ["resolve", str(path), "-o", str(tmp_path / "out.xlsx")])
    assert result.exit_code == 1, result.output
    flat = " ".join(result.output.split())
    assert "column 2 after '客户信息' has no name (a merged or empty header cell)" in flat, result.output
    assert "Traceback" not in result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["merged.xlsx"]


def test_sheet_is_refused_for_a_csv_file(env: dict[str, str], tmp_path: Path) -> None:
    records = write(tmp_path / "in.csv", "customer_name\nA\n")
    result = runner.invoke(app, ["resolve", str(records), "--sheet", "1"])
    assert result.exit_code == 2 and "--sheet: in.csv is not an Excel file" in result.output


def test_excel_errors_name_the_sheet_row_and_encoding_is_refused(env: dict[str, str], tmp_path: Path) -> None:
    book = _workbook(tmp_path / "in.xlsx", {"s": [[], ["customer_name"], ["A"], ["B", "stray"]]})
    result = runner.invoke(app, ["resolve", str(book), "-o", str(tmp_path / "out.xlsx")])
    assert result.exit_code == 1, result.output
    assert "line 4: a cell beyond the header's 1 columns is not empty" in " ".join(result.output.split())
    result = runner.invoke(app, ["resolve", str(book), "--encoding", "gbk"])
    assert result.exit_code == 2 and "--encoding: in.xlsx is not a CSV file" in " ".join(result.output.split())
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.xlsx"]
