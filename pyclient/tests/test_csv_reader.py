"""The CSV reader's quick path (one buffered decoder) gives exactly the rows, line numbers and errors of the
line-by-line reader, and hands over to it at the first problem without giving a row twice."""

from __future__ import annotations

from pathlib import Path

import pytest
from company_enrichment.csvio import open_table
from company_enrichment.errors import InputError


def _both(
    path: Path, *, skip_blank: bool = False
) -> tuple[bool, list[tuple[int, list[str]]], list[tuple[int, list[str]]]]:
    table = open_table(path)
    return table._looks_clean(), list(table.rows(skip_blank=skip_blank)), list(table._rows(None, skip_blank))


@pytest.mark.parametrize("newline", [b"\n", b"\r\n"])
@pytest.mark.parametrize("skip_blank", [False, True])
def test_quick_path_reads_what_the_line_reader_reads(tmp_path: Path, newline: bytes, skip_blank: bool) -> None:
    lines = [
        "\ufeffplan_code,customer_name".encode(),
        "P1,甲公司".encode(),
        b"",  # a blank line
        '"P,2","乙\n公司"'.encode(),  # a quoted comma, a quoted line break: one record over two lines
        b'"P3",""',
        "P4,丙".encode(),
    ]
    path = tmp_path / "ok.csv"
    path.write_bytes(newline.join(lines) + newline)
    clean, quick, slow = _both(path, skip_blank=skip_blank)
    assert clean, "the quick path is taken"
    assert quick == slow
    assert open_table(path).count_rows() == 5
    expected_lines = [2, 4, 6, 7] if skip_blank else [2, 3, 4, 6, 7]
    assert [line for line, _ in quick] == expected_lines
    assert quick[-1][1] == ["P4", "丙"] and ["P,2", "乙\n公司"] in [row for _, row in quick]


def test_a_lone_carriage_return_takes_the_line_reader(tmp_path: Path) -> None:
    path = tmp_path / "cr.csv"
    path.write_bytes(b'plan_code,customer_name\nP1,"a\rb"\nP2,c\n')
    clean, quick, slow = _both(path)
    assert not clean and quick == slow == [(2, ["P1", "a\rb"]), (3, ["P2", "c"])]
    assert open_table(path).count_rows() == 2


def test_count_rows_tells_a_short_row_from_a_blank_line(tmp_path: Path) -> None:
    path = tmp_path / "short.csv"
    path.write_bytes(b'plan_code,customer_name\nP1,a\n""\n\nP2,b\n')
    assert open_table(path).count_rows() == 4, "a lone empty field and an empty line are blank records"
    path.write_bytes(b"plan_code,customer_name\nP1,a\nP2\n")
    with pytest.raises(InputError, match="expected 2 fields as in the header, found 1"):
        open_table(path).count_rows()


@pytest.mark.parametrize(
    ("tail", "message"),
    [
        (b"P9\n", "line 5002: expected 2 fields as in the header, found 1"),
        (b'P9,"unclosed\n', "line 5002: malformed CSV"),
        ("P9,公司\n".encode("gbk"), "line 5002: not valid UTF-8"),
    ],
)
def test_a_problem_after_good_rows_is_named_by_the_line_reader_and_no_row_comes_twice(
    tmp_path: Path, tail: bytes, message: str
) -> None:
    path = tmp_path / "bad.csv"
    path.write_bytes(b"plan_code,customer_name\n" + b"".join(b"P%d,x\n" % i for i in range(5000)) + tail)
    table = open_table(path)
    assert table._looks_clean()
    with pytest.raises(InputError, match=message.split(": ", 1)[1][:20]) as counted:
        table.count_rows()
    assert str(counted.value).startswith(message.split(":")[0])
    seen: list[int] = []
    with pytest.raises(InputError) as caught:
        for line, _ in table.rows():
            seen.append(line)
    assert message in str(caught.value)
    assert seen == list(range(2, 5002)), "every good row once, in order"
