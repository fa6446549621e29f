"""Reading pipeline CSV files strictly: every problem is an :class:`InputError` that names the line.

Files are read as UTF-8 (a byte-order mark is allowed) or GB18030 (which GBK files are: GB18030 is a superset,
read and written with Python's gb18030 codec), chosen by the caller or by a GB18030 byte-order mark, one physical
line at a time and never more than ``max_line_bytes`` of a line, so a malformed 200 MB line costs neither the
memory nor the time to read it whole.
"""

from __future__ import annotations

import csv
import io
import os
import tempfile
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO, Protocol

from .errors import InputError

__all__ = [
    "ENCODINGS",
    "MAX_LINE_BYTES",
    "CsvTable",
    "RowWriter",
    "normalize_encoding",
    "open_table",
    "require_columns",
    "write_atomically",
]

MAX_LINE_BYTES = 1 << 20

#: The encodings a user may name (case-insensitive), each with the codec that reads and writes it. GBK is read and
#: written as GB18030, its superset: every GBK file is a valid GB18030 file with the same text.
ENCODINGS = {"utf-8": "utf-8", "utf8": "utf-8", "gb18030": "gb18030", "gbk": "gb18030"}

_BOMS = ((b"\xef\xbb\xbf", "utf-8"), (b"\x84\x31\x95\x33", "gb18030"))
_NAMES = {"utf-8": "UTF-8", "gb18030": "GB18030"}
#: What the "not valid ..." error suggests by default (commands with an --encoding option suggest that instead).
DEFAULT_ENCODING_HINT = "save the file as UTF-8"


def normalize_encoding(name: str) -> str:
    """The codec of an encoding a user named (utf-8, gb18030 or gbk, any case); ValueError for any other."""
    codec = ENCODINGS.get(name.strip().lower().replace("_", "-"))
    if codec is None:
        raise ValueError(f"unknown encoding {name!r}: use utf-8, gb18030 or gbk")
    return codec


def _bom_encoding(path: Path) -> str | None:
    with path.open("rb") as raw:
        start = raw.read(4)
    return next((codec for bom, codec in _BOMS if start.startswith(bom)), None)


@dataclass(frozen=True)
class CsvTable:
    """A validated header and a way to iterate the data rows with their line numbers."""

    path: Path
    header: list[str]
    max_line_bytes: int = MAX_LINE_BYTES
    newline: str = "\n"
    """The header's line ending ("\r\n" or "\n"): files written from this one use the same."""
    encoding: str = "utf-8"
    """The codec the file is read with ("utf-8" or "gb18030"); a byte-order mark is skipped."""
    encoding_hint: str = DEFAULT_ENCODING_HINT

    def index_of(self, column: str) -> int:
        return self.header.index(column)

    def rows(self, *, skip_blank: bool = False) -> Iterator[tuple[int, list[str]]]:
        """(line number, fields) for each data row; raises InputError on the first malformed line.

        A blank line is a record whose fields are all empty (it is how many tools write a one-column row with an
        empty field), so every data line gives one row; ``skip_blank`` drops blank lines instead.

        A file that a quick scan finds clean (no NUL byte, no line that could be too long, no carriage return
        outside a CRLF) is read by the csv module through one buffered UTF-8 decoder, about twice as fast as line
        by line. At the first thing that reader does not like, the file is read again line by line from the
        start (the rows already given are not given again), and that reader names the line and the problem.
        """
        given = 0
        if self.encoding == "utf-8" and self._looks_clean():
            try:
                for item in self._rows(self._fast_lines(), skip_blank):
                    yield item
                    given += 1
                return
            except (UnicodeDecodeError, csv.Error, InputError):
                pass
        for n, item in enumerate(self._rows(None, skip_blank)):
            if n >= given:
                yield item

    def count_rows(self) -> int:
        """How many rows :meth:`rows` gives (blank lines included), checking the whole file as it does: raises its
        InputError for the first malformed line. A clean file is counted by the csv module alone (the length of
        each row, counted in C); anything else is counted by :meth:`rows`."""
        width = len(self.header)
        if self.encoding == "utf-8" and self._looks_clean():
            try:
                with self.path.open("rb") as raw, io.TextIOWrapper(raw, encoding="utf-8-sig", newline="") as text:
                    csv.field_size_limit(self.max_line_bytes)
                    reader = csv.reader(text, strict=True)
                    next(reader, None)  # the header, checked by open_table
                    lengths = Counter(map(len, reader))
            except (UnicodeDecodeError, csv.Error):
                pass
            else:
                # Rows of the header's width, and blank lines ([]); a row of one field may be a blank line or a
                # short row, which only rows() can tell apart.
                if set(lengths) <= {width, 0}:
                    return sum(lengths.values())
        return sum(1 for _ in self.rows())

    def _rows(self, fast: Iterator[str] | None, skip_blank: bool) -> Iterator[tuple[int, list[str]]]:
        """The rows of the line-by-line reader (``fast`` None), or of ``fast``, whose errors are not InputErrors."""
        with ExitStack() as stack:
            lines = (
                _lines(
                    stack.enter_context(self.path.open("rb")), self.max_line_bytes, self.encoding, self.encoding_hint
                )
                if fast is None
                else fast
            )
            reader = csv.reader(lines, strict=True)
            if fast is None:
                _read_row(reader, 0)  # the header, checked by open_table
            else:
                next(reader, None)
            width = len(self.header)
            last_line = reader.line_num
            while (row := _read_row(reader, last_line) if fast is None else next(reader, None)) is not None:
                first_line = last_line + 1
                last_line = reader.line_num
                if not row or (len(row) == 1 and row[0] == "" and width > 1):  # a blank line
                    if skip_blank:
                        continue
                    row = [""] * width
                if len(row) != width:
                    raise InputError(f"expected {width} fields as in the header, found {len(row)}", line=first_line)
                yield first_line, row

    def _fast_lines(self) -> Iterator[str]:
        csv.field_size_limit(self.max_line_bytes)
        with self.path.open("rb") as raw, io.TextIOWrapper(raw, encoding="utf-8-sig", newline="") as text:
            yield from text

    def _looks_clean(self) -> bool:
        """No NUL byte, no carriage return but in CRLF, and a newline in every block of half the longest line (so
        no line is longer than ``max_line_bytes``): then the buffered reader splits the file into the very lines,
        and decodes the very text, that the line-by-line reader would."""
        block = max(1, self.max_line_bytes // 2)
        with self.path.open("rb") as raw:
            while chunk := raw.read(block):
                if chunk.endswith(b"\r"):  # keep a CRLF in one piece
                    chunk += raw.read(1)
                if b"\x00" in chunk or (len(chunk) == block and b"\n" not in chunk):
                    return False
                if b"\r" in chunk and chunk.count(b"\r") != chunk.count(b"\r\n"):
                    return False
        return True


def open_table(
    path: Path,
    *,
    any_of: Sequence[str] = (),
    all_of: Sequence[str] = (),
    column_options: Sequence[str] = (),
    encoding: str | None = None,
    encoding_hint: str = DEFAULT_ENCODING_HINT,
) -> CsvTable:
    """Open a CSV file and check its header: every column in ``all_of``, at least one in ``any_of``.

    ``column_options``: the command's options that name columns, suggested by a missing column's error.
    ``encoding``: utf-8, gb18030 or gbk (any case); None: the one its byte-order mark names, else UTF-8.
    ``encoding_hint``: what the error for an undecodable line suggests."""
    if not path.is_file():
        raise InputError(f"{path}: no such file")
    codec = (_bom_encoding(path) or "utf-8") if encoding is None else normalize_encoding(encoding)
    with path.open("rb") as raw:
        reader = csv.reader(_lines(raw, MAX_LINE_BYTES, codec, encoding_hint), strict=True)
        header = _read_row(reader, 0)
        raw.seek(0)
        newline = "\r\n" if raw.readline(MAX_LINE_BYTES + 1).endswith(b"\r\n") else "\n"
    if not header or not any(h.strip() for h in header):
        raise InputError("the file is empty: expected a header row", line=1)
    header = [h.strip() for h in header]
    duplicates = sorted({h for h in header if header.count(h) > 1})
    if duplicates:
        raise InputError(f"duplicate column(s) in the header: {', '.join(duplicates)}", line=1)
    table = CsvTable(path=path, header=header, newline=newline, encoding=codec, encoding_hint=encoding_hint)
    require_columns(table, any_of=any_of, all_of=all_of, column_options=column_options)
    return table


def require_columns(
    table: CsvTable,
    *,
    any_of: Sequence[str] = (),
    all_of: Sequence[str] = (),
    column_options: Sequence[str] = (),
) -> None:
    """InputError (line 1) unless the header has every column in ``all_of`` and at least one in ``any_of``."""
    header = table.header
    missing = [c for c in all_of if c not in header]
    if any_of and not any(c in header for c in any_of):
        missing.append(" or ".join(any_of))
    if missing:
        suggestion = f" (map other names with {', '.join(column_options)})" if column_options else ""
        raise InputError(
            f"missing column(s) {', '.join(missing)}; the header has {', '.join(header)}{suggestion}", line=1
        )


def _read_row(reader: Iterator[list[str]], previous_line: int) -> list[str] | None:
    try:
        return next(reader)
    except StopIteration:
        return None
    except csv.Error as exc:
        raise InputError(f"malformed CSV: {exc}", line=previous_line + 1) from None


def _lines(
    raw: BinaryIO, max_line_bytes: int, encoding: str = "utf-8", hint: str = DEFAULT_ENCODING_HINT
) -> Iterator[str]:
    """Decoded physical lines, checked for length and encoding. (No byte of a multi-byte GB18030 character is a
    newline, carriage return, comma or quote, so the lines are split and parsed as in UTF-8.)"""
    bom = next(b for b, codec in _BOMS if codec == encoding)
    csv.field_size_limit(max_line_bytes)
    number = 0
    while True:
        line = raw.readline(max_line_bytes + 1)
        if not line:
            return
        number += 1
        if len(line) > max_line_bytes and not line.endswith(b"\n"):
            raise InputError(f"line longer than {max_line_bytes} bytes; is this a CSV file?", line=number)
        if (nul := line.find(b"\x00")) >= 0:
            raise InputError(f"contains a NUL byte at byte {nul + 1}; text fields cannot hold NUL", line=number)
        if number == 1 and line.startswith(bom):
            line = line[len(bom) :]
        try:
            yield line.decode(encoding)
        except UnicodeDecodeError as exc:
            raise InputError(
                f"not valid {_NAMES[encoding]} (byte 0x{line[exc.start]:02x} at byte {exc.start + 1} of the line); "
                f"{hint}",
                line=number,
            ) from None


class RowWriter(Protocol):
    def writerow(self, row: Iterable[Any], /) -> Any: ...

    def writerows(self, rows: Iterable[Iterable[Any]], /) -> Any: ...


@contextmanager
def write_atomically(target: Path, *, newline: str = "\n", encoding: str = "utf-8") -> Iterator[RowWriter]:
    """A CSV writer (in ``encoding``, UTF-8 unless told, never with a byte-order mark; lines ending in ``newline``)
    on a temporary file next to ``target``, renamed onto it when the block ends without an error
    (:func:`replaced_atomically`): a reader never sees half a file."""
    with replaced_atomically(target) as tmp, open(tmp, "w", encoding=encoding, newline="") as out:
        yield csv.writer(out, lineterminator=newline)


@contextmanager
def replaced_atomically(target: Path) -> Iterator[str]:
    """The path of a temporary file next to ``target``, with the mode the umask gives a new file, for the block to
    write; renamed onto ``target`` when the block ends without an error. On an error the temporary file is removed
    and ``target`` is left as it was. Every output writer (CSV, Excel, Parquet) writes through this."""
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        # mkstemp makes the file 0600; give it the mode a file created normally would have.
        os.fchmod(fd, 0o666 & ~_umask())
        os.close(fd)
        yield tmp
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _umask() -> int:
    """The process's umask (reading it means setting it; set it straight back)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask
