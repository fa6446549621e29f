"""Excel input and output for ``resolve`` (the optional extra ``[excel]``: python-calamine reads .xlsx/.xls,
xlsxwriter writes .xlsx).

A sheet is read with the same interface as a CSV file (:class:`ExcelTable` is a :class:`CsvTable`): the header is
the first row with a non-empty cell, and line numbers are the sheet's row numbers as Excel shows them. Cells are
read as text: a number that is an integer (an account number, a plan code) as its digits without a trailing
``.0``, other numbers as Python writes them, dates in ISO 8601, empty cells as empty strings.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .csvio import CsvTable, RowWriter, replaced_atomically, require_columns
from .errors import InputError

__all__ = ["EXCEL_SUFFIXES", "ExcelTable", "open_excel", "write_excel_atomically"]

EXCEL_SUFFIXES = (".xlsx", ".xls", ".xlsm")


def _calamine() -> Any:
    try:
        import python_calamine
    except ImportError:  # pragma: no cover - the extra is installed by the tests
        raise InputError('reading Excel files needs pip install "company-enrichment[excel]"') from None
    return python_calamine


def cell_text(value: object) -> str:
    """A cell as text: integers (also those Excel stores as 1234.0) as their digits, dates in ISO 8601."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, (dt.datetime, dt.date, dt.time)):
        return value.isoformat()
    return str(value)


@dataclass(frozen=True)
class ExcelTable(CsvTable):
    sheet: str = ""
    header_row: int = 1
    first_row: int = 1
    """The sheet row number (1-based) of the first row calamine gives."""

    def _sheet_rows(self) -> Iterator[tuple[int, list[str]]]:
        book = _calamine().CalamineWorkbook.from_path(str(self.path))
        try:
            sheet = book.get_sheet_by_name(self.sheet)
            for offset, row in enumerate(sheet.iter_rows()):
                yield self.first_row + offset, [cell_text(v) for v in row]
        finally:
            book.close()

    def rows(self, *, skip_blank: bool = False) -> Iterator[tuple[int, list[str]]]:
        width = len(self.header)
        for line, cells in self._sheet_rows():
            if line <= self.header_row:
                continue
            if any(cells[width:]):
                raise InputError(f"a cell beyond the header's {width} columns is not empty", line=line)
            row = (cells + [""] * width)[:width]
            if skip_blank and not any(row):
                continue
            yield line, row

    def count_rows(self) -> int:
        return sum(1 for _ in self.rows())


def open_excel(path: Path, *, sheet: str | None = None, column_options: Iterable[str] = ()) -> ExcelTable:
    """Open a sheet (by name, or by 0-based index when ``sheet`` is digits; default the first) and read its header:
    the first row with a non-empty cell. InputError for a missing sheet or one with no non-empty row."""
    if not path.is_file():
        raise InputError(f"{path}: no such file")
    calamine = _calamine()
    try:
        book = calamine.CalamineWorkbook.from_path(str(path))
    except Exception as exc:  # calamine's errors are not one class
        raise InputError(f"{path.name}: not a readable Excel file ({exc})") from None
    try:
        names: list[str] = list(book.sheet_names)
        if sheet is None:
            name = names[0] if names else ""
        elif sheet in names:
            name = sheet
        elif sheet.isdigit() and int(sheet) < len(names):
            name = names[int(sheet)]
        else:
            raise InputError(f"--sheet {sheet!r}: {path.name} has no such sheet (its sheets: {', '.join(names)})")
        found = book.get_sheet_by_name(name)
        # calamine's rows start at the sheet's row 1 (empty rows above the used range included), so the row
        # numbers are Excel's; its columns start at the first used column.
        first_row = 1
        header: list[str] | None = None
        header_row = 0
        for offset, row in enumerate(found.iter_rows()):
            cells = [cell_text(v) for v in row]
            if any(c.strip() for c in cells):
                header, header_row = cells, first_row + offset
                break
    finally:
        book.close()
    if header is None:
        raise InputError(f"the sheet {name!r} is empty: expected a header row", line=1)
    while header and not header[-1].strip():
        header.pop()
    header = [h.strip() for h in header]
    blank = [i for i, h in enumerate(header) if not h]
    if blank:
        # A header cell merged with its neighbour (or left empty) names no column: Excel keeps a merged cell's
        # value in its first cell only. Refused rather than read as a column with no name.
        after = f" after {header[blank[0] - 1]!r}" if blank[0] > 0 else ""
        raise InputError(
            f"the header's column {blank[0] + 1}{after} has no name (a merged or empty header cell): give every "
            "column its own name in one header row",
            line=header_row,
        )
    duplicates = sorted({h for h in header if header.count(h) > 1})
    if duplicates:
        raise InputError(f"duplicate column(s) in the header: {', '.join(duplicates)}", line=header_row)
    table = ExcelTable(path=path, header=header, sheet=name, header_row=header_row, first_row=first_row)
    require_columns(table, column_options=list(column_options))
    return table


@contextmanager
def write_excel_atomically(target: Path, *, sheet: str = "resolved") -> Iterator[RowWriter]:
    """An .xlsx writer (every cell a text cell, so codes keep their digits) on a temporary file next to ``target``,
    renamed onto it when the block ends without an error; on an error nothing is left behind."""
    import xlsxwriter  # type: ignore[import-untyped]

    with replaced_atomically(target) as tmp:
        book = xlsxwriter.Workbook(tmp, {"constant_memory": True})
        try:
            yield _SheetWriter(book.add_worksheet(sheet[:31] or "resolved"))
        finally:
            book.close()


class _SheetWriter:
    def __init__(self, sheet: Any) -> None:
        self.sheet = sheet
        self.row = 0

    def writerow(self, row: Iterable[Any], /) -> None:
        for col, value in enumerate(row):
            if value is not None and value != "":
                self.sheet.write_string(self.row, col, str(value))
        self.row += 1

    def writerows(self, rows: Iterable[Iterable[Any]], /) -> None:
        for row in rows:
            self.writerow(row)
