"""A user's first hour with the command line (issue 17): options that name missing columns, bad paths and
numbers, a wrong database URI, mapping files, output files and the help text. Every bad input gets one sentence
and the documented exit code, never a traceback, and nothing is written half-way."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from cli_support import read_rows, runner, write
from company_enrichment.cli import app
from company_enrichment.standin import EQCStandin
from typer.testing import Result


@pytest.fixture
def standin(tag: str) -> Iterator[EQCStandin]:
    companies = [{"companyId": "681000001", "companyFullName": f"{tag}首时有限公司", "unite_code": None}]
    with EQCStandin({"token": "first-hour-token", "companies": companies}).start() as server:
        yield server


def _count(uri: str, sql: str, *args: object) -> int:
    with psycopg.connect(uri) as conn:
        row = conn.execute(sql, args).fetchone()
        assert row is not None
        return int(row[0])


def _no_traceback(result: Result) -> None:
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)


# ------------------------------------------------------------------------------ 1. columns named by options


def test_resolve_stops_when_a_column_option_names_a_missing_column(
    env: dict[str, str], tmp_path: Path, tag: str
) -> None:
    records = write(tmp_path / "typo.csv", f"plan_code,company_name\n,{tag}甲\n{tag}-P,{tag}乙\n")
    out = tmp_path / "out.csv"
    temp_ids = "SELECT count(*) FROM enterprise.temp_id_assignments"
    before = _count(env["WDH_DATABASE__URI"], temp_ids)
    result = runner.invoke(app, ["resolve", str(records), "-o", str(out), "--customer-name-column", "客户"])
    assert result.exit_code == 2, result.output
    assert "--customer-name-column" in result.output and "'客户'" in result.output
    assert "plan_code, company_name" in result.output
    _no_traceback(result)
    assert not out.exists()
    assert _count(env["WDH_DATABASE__URI"], temp_ids) == before, "nothing was written to the database"


def test_resolve_summary_names_the_columns_used_and_absent(
    env: dict[str, str], tmp_path: Path, tag: str, empty_queue: None
) -> None:
    records = write(tmp_path / "in.csv", f"plan_code,customer_name\n{tag}-X,\n")
    result = runner.invoke(app, ["resolve", str(records), "--plan-only"])
    assert result.exit_code == 0, result.output
    assert "columns used: plan_code, customer_name" in result.output
    assert "absent: account_name, account_number" in result.output


# ---------------------------------------------------------------------------------------- 4. long names


def test_resolve_counts_names_too_long_to_look_up(
    env: dict[str, str], tmp_path: Path, tag: str, empty_queue: None
) -> None:
    long_names = [f"{tag}{i}" + "长" * 300 for i in range(2)]
    records = write(tmp_path / "in.csv", "customer_name\n" + "".join(f"{n}\n" for n in long_names) + f"{tag}短\n")
    result = runner.invoke(app, ["resolve", str(records), "-o", str(tmp_path / "out.csv"), "--budget", "0"])
    assert result.exit_code == 0, result.output
    assert "2 names too long to look up: TEMP ids given" in result.output
    assert [r["status"] for r in read_rows(tmp_path / "out.csv")] == ["temp_assigned"] * 2 + ["pending_lookup"]


# ------------------------------------------------------------------------------ 5. bad paths and numbers


@pytest.mark.parametrize(
    ("where", "message"),
    [
        ("dir", "is a directory"),
        ("missing/out.csv", "does not exist"),
    ],
)
def test_resolve_checks_the_output_path_before_resolving(
    env: dict[str, str], tmp_path: Path, tag: str, empty_queue: None, where: str, message: str
) -> None:
    (tmp_path / "dir").mkdir()
    records = write(tmp_path / "in.csv", f"customer_name\n{tag}甲公司\n")
    result = runner.invoke(app, ["resolve", str(records), "-o", str(tmp_path / where)])
    assert result.exit_code == 2, result.output
    assert message in result.output and str(tmp_path / where) in result.output.replace("\n", "")
    _no_traceback(result)
    assert _count(env["WDH_DATABASE__URI"], "SELECT count(*) FROM enterprise.lookup_requests") == 0, "not resolved"


def test_resolve_rejects_a_negative_budget(env: dict[str, str], tmp_path: Path, tag: str) -> None:
    records = write(tmp_path / "in.csv", f"customer_name\n{tag}甲公司\n")
    result = runner.invoke(app, ["resolve", str(records), "--budget", "-1"])
    assert result.exit_code == 2, result.output
    assert "--budget" in result.output
    _no_traceback(result)


# ------------------------------------------------------------------------------------- 6. database URI


def test_a_malformed_database_uri_is_refused_at_start_up(env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WDH_DATABASE__URI", "notauri")
    result = runner.invoke(app, ["status"])
    assert result.exit_code == 2, result.output
    assert "WDH_DATABASE__URI" in result.output
    _no_traceback(result)


def test_an_unreachable_database_fails_fast_with_one_message(
    env: dict[str, str], monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv("WDH_DATABASE__URI", "postgresql://nobody@127.0.0.1:9/nowhere")
    monkeypatch.setenv("WDH_DATABASE__CONNECT_TIMEOUT", "2")
    started = time.monotonic()
    result = runner.invoke(app, ["status"])
    assert time.monotonic() - started < 10
    assert result.exit_code == 1, result.output
    assert "cannot connect to the database" in result.output
    assert "WARNING" not in result.output and "error connecting in" not in result.output
    assert not [r for r in caplog.records if r.name.startswith("psycopg")], "no pool warnings"
    _no_traceback(result)


def test_an_unset_database_uri_says_how_to_use_the_local_cluster(
    env: dict[str, str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("WDH_DATABASE__URI")
    monkeypatch.chdir(tmp_path)  # no .env file here
    result = runner.invoke(app, ["status"])
    assert result.exit_code == 2, result.output
    assert 'eval "$(scripts/localdb.sh env)"' in result.output
    assert 'WDH_DATABASE__URI="$LOCALDB_URI"' in result.output


# ------------------------------------------------------------------------------------- 7. mappings import


def test_mappings_import_maps_other_column_names(env: dict[str, str], tmp_path: Path, tag: str) -> None:
    file = write(tmp_path / "m.csv", f"别名,编号,类型\n{tag}-C1,611111121,PLAN\n{tag}公司C,611111122, Name \n")
    result = runner.invoke(
        app,
        [
            "mappings",
            "import",
            str(file),
            "--alias-name-column",
            "别名",
            "--canonical-id-column",
            "编号",
            "--match-type-column",
            "类型",
        ],
    )
    assert result.exit_code == 0, result.output
    assert "2 inserted" in result.output
    kinds = (
        "SELECT count(*) FROM enterprise.company_mapping WHERE alias_name LIKE %s AND match_type IN ('plan', 'name')"
    )
    assert _count(env["WDH_DATABASE__URI"], kinds, f"{tag}%") == 2


def test_only_commands_with_column_options_suggest_them(env: dict[str, str], tmp_path: Path) -> None:
    decisions = write(tmp_path / "cols.csv", "request_id,company_id\n1,2\n")
    result = runner.invoke(app, ["review", "apply", str(decisions)])
    assert result.exit_code == 2 and "missing column(s) decision" in result.output
    assert "--*-column" not in result.output, "review apply has no column options"
    mappings = write(tmp_path / "m.csv", "alias,canonical_id,match_type\nA,1,plan\n")
    result = runner.invoke(app, ["mappings", "import", str(mappings)])
    assert result.exit_code == 1 and "--alias-name-column" in result.output


def test_mappings_import_help_lists_the_match_types(env: dict[str, str]) -> None:
    result = runner.invoke(app, ["mappings", "import", "--help"], terminal_width=80)
    assert result.exit_code == 0
    text = " ".join(result.output.split())
    assert "plan, account, hardcode, name, account_name" in text


def test_mappings_import_of_a_header_only_file(env: dict[str, str], tmp_path: Path) -> None:
    result = runner.invoke(
        app, ["mappings", "import", str(write(tmp_path / "m.csv", "alias_name,canonical_id,match_type\n"))]
    )
    assert result.exit_code == 1
    assert "the file has no mappings" in result.output
    assert "line" not in result.output


# ----------------------------------------------------------------------------------------- 11. output files


@pytest.mark.parametrize(("newline", "expected"), [("\n", b"\n"), ("\r\n", b"\r\n")])
def test_resolve_writes_the_input_line_endings_and_the_request_id(
    env: dict[str, str], tmp_path: Path, tag: str, empty_queue: None, newline: str, expected: bytes
) -> None:
    records = write(tmp_path / "in.csv", newline.join(["customer_name", f"{tag}无此公司", ""]))
    out = tmp_path / "out.csv"
    result = runner.invoke(app, ["resolve", str(records), "-o", str(out), "--budget", "0"])
    assert result.exit_code == 0, result.output
    data = out.read_bytes()
    assert data.count(expected) == 2 and (expected == b"\r\n" or b"\r" not in data)
    rows = read_rows(out)
    assert rows[0]["status"] == "pending_lookup"
    with psycopg.connect(env["WDH_DATABASE__URI"]) as conn:
        queued = conn.execute(
            "SELECT id FROM enterprise.lookup_requests WHERE name = %s", (f"{tag}无此公司",)
        ).fetchone()
    assert queued is not None and rows[0]["request_id"] == str(queued[0])


# ----------------------------------------------------------------------------------------------- 12. help


def test_flags_are_plain_flags_and_help_is_readable(env: dict[str, str]) -> None:
    result = runner.invoke(app, ["resolve", "--help"], terminal_width=80)
    assert result.exit_code == 0
    assert "<bool>" not in result.output
    assert "…" not in result.output, result.output
    assert re.search(r"--account-number-column\b", result.output)


# ------------------------------------------------------------------ 2. conflicts with mappings already loaded


def test_mappings_import_refuses_a_conflict_with_loaded_mappings_unless_told(
    env: dict[str, str], tmp_path: Path, tag: str
) -> None:
    header = "alias_name,canonical_id,match_type\n"
    first = write(tmp_path / "first.csv", f"{header}{tag}丙公司,611111131,name\n")
    assert runner.invoke(app, ["mappings", "import", str(first)]).exit_code == 0
    second = write(
        tmp_path / "second.csv", f"{header}{tag}-C2,611111132,plan\n\n{tag}丙公司（已注销）,611111133,NAME\n"
    )
    result = runner.invoke(app, ["mappings", "import", str(second)])
    assert result.exit_code == 1, result.output
    assert "an alias conflicts with curated mappings already loaded" in result.output
    assert f"detail: line 4: alias_name '{tag}丙公司（已注销）'" in result.output
    assert "--replace-conflicting" in result.output
    _no_traceback(result)
    aliases = (
        "SELECT string_agg(alias_name || '=' || canonical_id, ' ' ORDER BY alias_name)"
        " FROM enterprise.company_mapping WHERE alias_name LIKE %s"
    )
    with psycopg.connect(env["WDH_DATABASE__URI"]) as conn:
        before = conn.execute(aliases, (f"{tag}%",)).fetchone()
    assert before == (f"{tag}丙公司=611111131",), "nothing of the second file was loaded"

    result = runner.invoke(app, ["mappings", "import", str(second), "--replace-conflicting"])
    assert result.exit_code == 0, result.output
    assert "2 inserted, 0 updated, 0 unchanged, 1 replaced" in result.output
    with psycopg.connect(env["WDH_DATABASE__URI"]) as conn:
        after = conn.execute(aliases, (f"{tag}%",)).fetchone()
    assert after == (f"{tag}-C2=611111132 {tag}丙公司（已注销）=611111133",)
