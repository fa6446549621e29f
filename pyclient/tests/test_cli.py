"""The command line against the real database and the EQC stand-in: good files and malformed ones."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from cli_support import read_rows, runner, write
from company_enrichment.cli import RESULT_COLUMNS, app
from company_enrichment.standin import EQCStandin, Fault


@pytest.fixture
def standin(tag: str) -> Iterator[EQCStandin]:
    companies = [
        {"companyId": f"6{80000000 + i}", "companyFullName": f"{tag}命令行{i}有限公司", "unite_code": None}
        for i in range(1, 4)
    ]
    with EQCStandin({"token": "cli-token", "companies": companies}).start() as server:
        yield server


# ------------------------------------------------------------------------------------------- mappings


def test_mappings_import_loads_all_rows(env: dict[str, str], tmp_path: Path, tag: str) -> None:
    file = write(
        tmp_path / "m.csv",
        f"alias_name,canonical_id,match_type\n{tag}-P1,611111111,plan\n{tag}公司,611111112,name\n",
    )
    result = runner.invoke(app, ["mappings", "import", str(file)])
    assert result.exit_code == 0, result.output
    assert "2 inserted, 0 updated, 0 unchanged" in result.output
    again = runner.invoke(app, ["mappings", "import", str(file)])
    assert "0 inserted, 0 updated, 2 unchanged" in again.output


@pytest.mark.parametrize(
    ("content", "encoding", "message"),
    [
        ("alias_name,canonical_id\nA,1\n", "utf-8", "line 1: missing column(s) match_type"),
        ("alias_name,canonical_id,match_type\nA,1,plan\nB,2\n", "utf-8", "line 3: expected 3 fields"),
        ("alias_name,canonical_id,match_type\nA,1,plan\n公司,2,name\n", "gbk", "line 3: not valid UTF-8"),
        ('alias_name,canonical_id,match_type\nA,1,plan\n"unclosed,2,plan\n', "utf-8", "line 3: malformed CSV"),
        ("", "utf-8", "line 1: the file is empty"),
    ],
)
def test_mappings_import_rejects_malformed_files(
    env: dict[str, str], tmp_path: Path, content: str, encoding: str, message: str
) -> None:
    result = runner.invoke(app, ["mappings", "import", str(write(tmp_path / "bad.csv", content, encoding))])
    assert result.exit_code == 1
    assert message in result.output


def test_mappings_import_is_all_or_nothing_and_names_the_line(env: dict[str, str], tmp_path: Path, tag: str) -> None:
    file = write(
        tmp_path / "m.csv",
        f"alias_name,canonical_id,match_type\n{tag}-OK1,611111111,plan\n\n{tag}-OK2,611111112,plan\n{tag}-BAD,1,planet\n",
    )
    result = runner.invoke(app, ["mappings", "import", str(file)])
    assert result.exit_code == 1
    assert "[22023]: invalid match_type" in result.output
    assert f"detail: line 5: alias_name '{tag}-BAD' has match_type 'planet'" in result.output
    assert "hint: match_type is one of" in result.output
    with psycopg.connect(env["WDH_DATABASE__URI"]) as conn:
        row = conn.execute("SELECT count(*) FROM enterprise.company_mapping WHERE alias_name LIKE %s", (f"{tag}%",))
        assert row.fetchone() == (0,), "nothing of the file was loaded"


def test_bom_is_accepted(env: dict[str, str], tmp_path: Path, tag: str) -> None:
    file = write(tmp_path / "m.csv", f"\ufeffalias_name,canonical_id,match_type\n{tag}-BOM,611111113,plan\n")
    result = runner.invoke(app, ["mappings", "import", str(file)])
    assert result.exit_code == 0, result.output
    assert "1 inserted" in result.output


# -------------------------------------------------------------------------------------------- resolve


def test_resolve_writes_results_and_a_summary(env: dict[str, str], tmp_path: Path, tag: str, empty_queue: None) -> None:
    runner.invoke(
        app,
        [
            "mappings",
            "import",
            str(write(tmp_path / "m.csv", f"alias_name,canonical_id,match_type\n{tag}-P,622222222,plan\n")),
        ],
    )
    records = write(
        tmp_path / "in.csv",
        "客户,plan_code,extra\n"
        f"x,{tag}-P,keep me\n"
        f"{tag}命令行1有限公司,,\n"
        f"{tag}命令行2有限公司,,\n"
        ",,\n"
        f"{tag}无此公司名称,,\n",
    )
    out = tmp_path / "out.csv"
    result = runner.invoke(
        app, ["resolve", str(records), "-o", str(out), "--budget", "1", "--customer-name-column", "客户"]
    )
    assert result.exit_code == 0, result.output
    rows = read_rows(out)
    assert [r["status"] for r in rows] == [
        "success_internal",
        "success_external",
        "pending_lookup",
        "temp_assigned",
        "pending_lookup",
    ]
    assert rows[0]["company_id"] == "622222222" and rows[0]["extra"] == "keep me"
    assert rows[1]["company_id"] == "680000001" and rows[1]["source"] == "EQC"
    assert rows[3]["temp_id"].startswith("TEMP_")
    assert list(rows[0]) == ["客户", "plan_code", "extra", *RESULT_COLUMNS]
    assert rows[2]["request_id"] and rows[3]["request_id"] == ""
    assert "success_internal" in result.output and "total" in result.output

    preview = runner.invoke(app, ["resolve", str(records), "--plan-only", "--customer-name-column", "客户"])
    assert preview.exit_code == 0, preview.output
    assert "plan only" in preview.output
    assert not (tmp_path / "in.resolved.csv").exists(), "a plan-only run writes no file"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("name,other\nA,B\n", "line 1: missing column(s) plan_code or customer_name or account_name or account_number"),
        ("plan_code,customer_name\nA,B\nC\n", "line 3: expected 2 fields"),
        ("plan_code,customer_name\nA,B\nC,D\x00E\n", "line 3: contains a NUL byte"),
        ("plan_code,customer_name\nA,B\n" + "C," + "x" * (2 << 20) + "\n", "line 3: line longer than"),
    ],
)
def test_resolve_rejects_malformed_files_and_writes_nothing(
    env: dict[str, str], tmp_path: Path, content: str, message: str
) -> None:
    records = write(tmp_path / "in.csv", content)
    out = tmp_path / "out.csv"
    result = runner.invoke(app, ["resolve", str(records), "-o", str(out)])
    assert result.exit_code == 1
    assert message in result.output
    assert not out.exists()
    assert list(tmp_path.iterdir()) == [records], "no partial or temporary file is left behind"


# -------------------------------------------------------------------------------------- work, status


def test_work_once_drains_and_status_shows_it(
    env: dict[str, str], standin: EQCStandin, tmp_path: Path, tag: str, empty_queue: None
) -> None:
    with psycopg.connect(env["WDH_DATABASE__URI"], autocommit=True) as conn:
        conn.execute(
            "SELECT enterprise.enqueue_lookup(n) FROM unnest(%s::text[]) n",
            ([f"{tag}命令行1有限公司", f"{tag}命令行2有限公司", f"{tag}不存在的公司"],),
        )
    result = runner.invoke(app, ["work", "--once", "--batch-size", "2"])
    assert result.exit_code == 0, result.output
    assert "claimed 3, found 2, not_found 1, retried 0, failed 0, released 0" in result.output
    status = runner.invoke(app, ["status"])
    assert status.exit_code == 0
    assert "found" in status.output and "not_found" in status.output


def test_work_exits_3_on_an_auth_error(env: dict[str, str], standin: EQCStandin, tag: str, empty_queue: None) -> None:
    with psycopg.connect(env["WDH_DATABASE__URI"], autocommit=True) as conn:
        conn.execute("SELECT enterprise.enqueue_lookup(%s)", (f"{tag}命令行3有限公司",))
    standin.inject(Fault(kind="expired", times=None))
    result = runner.invoke(app, ["work", "--once"])
    assert result.exit_code == 3
    assert "EQC refused the token" in result.output
    assert env["WDH_EQC_TOKEN"] not in result.output
    with psycopg.connect(env["WDH_DATABASE__URI"]) as conn:
        assert conn.execute("SELECT status, attempts FROM enterprise.lookup_requests").fetchall() == [("pending", 0)]


def test_configuration_errors_name_the_variable(env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WDH_EQC_TIMEOUT", "soon")
    result = runner.invoke(app, ["status"])
    assert result.exit_code == 2
    assert "WDH_EQC_TIMEOUT" in result.output
    monkeypatch.delenv("WDH_EQC_TIMEOUT")
    monkeypatch.setenv("WDH_LOOKUP_QUEUE_BATCH_SIZE", "501")
    assert "WDH_LOOKUP_QUEUE_BATCH_SIZE" in runner.invoke(app, ["status"]).output
