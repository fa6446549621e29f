"""Parquet input and output for ``resolve`` (the optional extra ``[parquet]``: pyarrow).

A file is read one row group at a time with the same interface as a CSV file (:class:`ParquetTable` is a
:class:`CsvTable`): the header is the schema's column names, "line" N is data row N - 1 (as if the header were line
1). Values are read as text: nulls as empty strings, integers (and floats that are integers) as their digits.
The output is written with every column a nullable string, one row group per batch written.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .csvio import CsvTable, RowWriter, replaced_atomically, require_columns
from .errors import InputError
from .excelio import cell_text

__all__ = ["PARQUET_SUFFIXES", "ParquetTable", "open_parquet", "write_parquet_atomically"]

PARQUET_SUFFIXES = (".parquet", ".pq")


def _pyarrow() -> tuple[Any, Any]:
    """pyarrow and pyarrow.parquet, imported when a Parquet file is read or written."""
    try:
        import pyarrow as pa  # type: ignore[import-untyped]
        import pyarrow.parquet as pq  # type: ignore[import-untyped]
    except ImportError:  # pragma: no cover - the extra is installed by the tests
        raise InputError('Parquet files need pip install "company-enrichment[parquet]"') from None
    return pa, pq


def _parquet() -> Any:
    return _pyarrow()[1]


@dataclass(frozen=True)
class ParquetTable(CsvTable):
    def rows(self, *, skip_blank: bool = False) -> Iterator[tuple[int, list[str]]]:
        line = 1
        with _parquet().ParquetFile(str(self.path)) as file:
            for group in range(file.num_row_groups):
                columns = [file.read_row_group(group, columns=[name]).column(0).to_pylist() for name in self.header]
                for values in zip(*columns, strict=True):
                    line += 1
                    row = [cell_text(v) for v in values]
                    if skip_blank and not any(row):
                        continue
                    yield line, row

    def count_rows(self) -> int:
        with _parquet().ParquetFile(str(self.path)) as file:
            return int(file.metadata.num_rows)


def open_parquet(path: Path) -> ParquetTable:
    """Open a Parquet file: its header is the schema's column names. InputError for an unreadable file."""
    if not path.is_file():
        raise InputError(f"{path}: no such file")
    try:
        with _parquet().ParquetFile(str(path)) as file:
            header = [str(name) for name in file.schema_arrow.names]  # as they are: rows() reads them by name
    except InputError:
        raise
    except Exception as exc:  # pyarrow's errors are several classes
        raise InputError(f"{path.name}: not a readable Parquet file ({exc})") from None
    if not header:
        raise InputError("the file has no columns: expected a header", line=1)
    duplicates = sorted({h for h in header if header.count(h) > 1})
    if duplicates:
        raise InputError(f"duplicate column(s) in the header: {', '.join(duplicates)}", line=1)
    table = ParquetTable(path=path, header=header)
    require_columns(table)
    return table


@contextmanager
def write_parquet_atomically(target: Path) -> Iterator[RowWriter]:
    """A Parquet writer (every column a nullable string; the first row written is the header) on a temporary file
    next to ``target``, renamed onto it when the block ends without an error; on an error nothing is left."""
    with replaced_atomically(target) as tmp:
        writer = _ParquetWriter(tmp)
        try:
            yield writer
        finally:
            writer.close()


class _ParquetWriter:
    def __init__(self, path: str) -> None:
        self.path = path
        self.header: list[str] | None = None
        self.writer: Any = None

    def writerow(self, row: Iterable[Any], /) -> None:
        if self.header is None:
            self.header = [str(c) for c in row]
            return
        self.writerows([row])

    def writerows(self, rows: Iterable[Iterable[Any]], /) -> None:
        pa, pq = _pyarrow()
        assert self.header is not None, "the header is written first"
        schema = pa.schema([(name, pa.string()) for name in self.header])
        if self.writer is None:
            self.writer = pq.ParquetWriter(self.path, schema)
        data = [list(r) for r in rows]
        columns = [[None if r[i] is None or r[i] == "" else str(r[i]) for r in data] for i in range(len(self.header))]
        self.writer.write_table(pa.table(columns, schema=schema))

    def close(self) -> None:
        pa, pq = _pyarrow()
        if self.writer is None and self.header is not None:
            schema = pa.schema([(name, pa.string()) for name in self.header])
            self.writer = pq.ParquetWriter(self.path, schema)
        if self.writer is not None:
            self.writer.close()
