"""Input encodings of ``company-enrichment resolve`` (issue 13, item 2): UTF-8 with or without a byte-order mark,
GB18030/GBK named by --encoding or by a byte-order mark; the output in the input's encoding unless
--output-encoding says otherwise; an undecodable file named by its line, with nothing written."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from pathlib import Path

import pytest
from cli_support import runner, write
from company_enrichment.cli import app
from company_enrichment.csvio import open_table
from company_enrichment.errors import InputError
from company_enrichment.standin import EQCStandin


@pytest.fixture
def standin(tag: str) -> Iterator[EQCStandin]:
    with EQCStandin({"token": "encodings-token", "companies": []}).start() as server:
        yield server


def _rows(path: Path, encoding: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(path.read_bytes().decode(encoding), newline="")))


def _mapping(tmp_path: Path, tag: str) -> None:
    file = write(tmp_path / "m.csv", f"alias_name,canonical_id,match_type\n{tag}-P1,633333333,plan\n")
    result = runner.invoke(app, ["mappings", "import", str(file)])
    assert result.exit_code == 0, result.output


@pytest.mark.parametrize("option", ["gb18030", "GBK", "Gb18030"])
def test_resolve_reads_and_writes_a_gb18030_file_with_chinese_headers(
    env: dict[str, str], tmp_path: Path, tag: str, empty_queue: None, option: str
) -> None:
    _mapping(tmp_path, tag)
    text = f"计划代码,客户名称,备注\n{tag}-P1,某某有限公司,保留\n,{tag}无此公司,€符号\n"
    records = write(tmp_path / "in.csv", text, "gb18030")
    assert b"\xe8" not in records.read_bytes()[:4], "the file is not UTF-8"
    out = tmp_path / "out.csv"
    result = runner.invoke(
        app,
        [
            "resolve", str(records), "-o", str(out), "--budget", "0", "--encoding", option,
            "--plan-code-column", "计划代码", "--customer-name-column", "客户名称",
        ],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "计划代码 as plan_code" in result.output and "客户名称 as customer_name" in result.output
    with pytest.raises(UnicodeDecodeError):
        out.read_bytes().decode("utf-8")
    rows = _rows(out, "gb18030")
    assert list(rows[0])[:3] == ["计划代码", "客户名称", "备注"]
    assert rows[0]["company_id"] == "633333333" and rows[0]["status"] == "success_internal"
    assert rows[0]["备注"] == "保留"
    assert rows[1]["status"] == "pending_lookup" and rows[1]["客户名称"] == f"{tag}无此公司"
    assert rows[1]["备注"] == "€符号"


def test_resolve_writes_another_output_encoding_when_told(
    env: dict[str, str], tmp_path: Path, tag: str, empty_queue: None
) -> None:
    _mapping(tmp_path, tag)
    records = write(tmp_path / "in.csv", f"plan_code,customer_name\n{tag}-P1,某某公司\n", "gb18030")
    out = tmp_path / "out.csv"
    args = ["resolve", str(records), "-o", str(out), "--budget", "0", "--encoding", "gbk", "--output-encoding", "UTF-8"]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    rows = _rows(out, "utf-8")
    assert rows[0]["customer_name"] == "某某公司" and rows[0]["company_id"] == "633333333"


def test_resolve_reads_utf8_with_a_byte_order_mark(
    env: dict[str, str], tmp_path: Path, tag: str, empty_queue: None
) -> None:
    _mapping(tmp_path, tag)
    records = write(tmp_path / "in.csv", f"plan_code,customer_name\n{tag}-P1,某某公司\n", "utf-8-sig")
    assert records.read_bytes().startswith(b"\xef\xbb\xbf")
    out = tmp_path / "out.csv"
    result = runner.invoke(app, ["resolve", str(records), "-o", str(out), "--budget", "0"])
    assert result.exit_code == 0, result.output
    data = out.read_bytes()
    assert data.startswith(b"plan_code,customer_name,"), "no byte-order mark in the output, none in the header"
    rows = _rows(out, "utf-8")
    assert rows[0]["company_id"] == "633333333"


def test_a_gb18030_byte_order_mark_chooses_gb18030(tmp_path: Path) -> None:
    path = tmp_path / "bom.csv"
    path.write_bytes("\ufeff客户名称,备注\n某公司,甲\n".encode("gb18030"))
    assert path.read_bytes().startswith(b"\x84\x31\x95\x33")
    table = open_table(path)
    assert table.encoding == "gb18030" and table.header == ["客户名称", "备注"]
    assert list(table.rows()) == [(2, ["某公司", "甲"])]
    assert table.count_rows() == 1


def test_gb18030_rows_are_read_line_by_line_with_line_numbers(tmp_path: Path) -> None:
    path = tmp_path / "long.csv"
    body = "".join(f"P{i},公司{i}\n" for i in range(3000))
    path.write_bytes(("plan_code,customer_name\n" + body + "P9,多,余\n").encode("gb18030"))
    table = open_table(path, encoding="gb18030")
    with pytest.raises(InputError, match="expected 2 fields as in the header, found 3") as info:
        table.count_rows()
    assert info.value.line == 3002


@pytest.mark.parametrize(
    ("encoding_args", "content", "message"),
    [
        ([], "plan_code,customer_name\nP1,A\nP2,某公司\n".encode("gbk"), "line 3: not valid UTF-8"),
        (["--encoding", "utf-8"], "plan_code,customer_name\nP2,某公司\n".encode("gb18030"), "line 2: not valid UTF-8"),
        (["--encoding", "gb18030"], b"plan_code,customer_name\nP1,A\nP2,\x81\xff\n", "line 3: not valid GB18030"),
    ],
)
def test_resolve_rejects_an_undecodable_file_and_writes_nothing(
    env: dict[str, str], tmp_path: Path, empty_queue: None, encoding_args: list[str], content: bytes, message: str
) -> None:
    records = tmp_path / "in.csv"
    records.write_bytes(content)
    out = tmp_path / "out.csv"
    result = runner.invoke(app, ["resolve", str(records), "-o", str(out), *encoding_args])
    assert result.exit_code == 1, result.output
    assert message in result.output
    assert "--encoding gb18030" in " ".join(result.output.split())
    assert "Traceback" not in result.output
    assert not out.exists() and sorted(p.name for p in tmp_path.iterdir()) == ["in.csv"]


def test_resolve_rejects_an_unknown_encoding(env: dict[str, str], tmp_path: Path) -> None:
    records = write(tmp_path / "in.csv", "customer_name\nA\n")
    result = runner.invoke(app, ["resolve", str(records), "--encoding", "latin-1"])
    assert result.exit_code == 2, result.output
    assert "--encoding: unknown encoding 'latin-1': use utf-8, gb18030 or gbk" in " ".join(result.output.split())
    result = runner.invoke(app, ["resolve", str(records), "--output-encoding", "big5"])
    assert result.exit_code == 2 and "--output-encoding: unknown encoding 'big5'" in " ".join(result.output.split())
