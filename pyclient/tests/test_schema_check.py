"""Clear errors on an undeployed or outdated database (issue 11, defect 3): every command that talks to the
database first checks the deployed schema and stops with one sentence and exit 2 when it is missing or older than
this client needs. Each case runs against a fresh database of its own next to the test database."""

from __future__ import annotations

from pathlib import Path

import psycopg
import pytest
from cli_support import runner, write
from company_enrichment import __version__
from company_enrichment.cli import app


def commands(tmp_path: Path) -> list[list[str]]:
    records = write(tmp_path / "records.csv", "customer_name\n某公司\n")
    mappings = write(tmp_path / "mappings.csv", "alias_name,canonical_id,match_type\n某公司,614810477,name\n")
    return [
        ["status"],
        ["work", "--once"],
        ["resolve", str(records)],
        ["mappings", "import", str(mappings)],
        ["review", "list"],
    ]


def use(uri: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WDH_DATABASE__URI", uri)
    monkeypatch.setenv("WDH_EQC_TOKEN", "not-used")
    monkeypatch.setenv("WDH_EQC_BASE_URL", "http://127.0.0.1:9")


def test_every_command_on_a_database_without_the_schema_says_deploy_and_exits_2(
    upgrade_db: tuple[str, str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    uri, _ = upgrade_db
    use(uri, monkeypatch)
    for args in commands(tmp_path):
        result = runner.invoke(app, args)
        assert result.exit_code == 2, (args, result.output)
        assert "make deploy" in result.output and "sqitch deploy" in result.output, (args, result.output)
        assert "not deployed" in result.output, (args, result.output)
        assert "42P01" not in result.output and "Traceback" not in result.output, (args, result.output)
    assert not (tmp_path / "records.resolved.csv").exists()


def test_a_schema_without_schema_version_is_0_1_and_too_old(
    upgrade_db: tuple[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    uri, _ = upgrade_db
    with psycopg.connect(uri, autocommit=True) as conn:
        conn.execute("CREATE SCHEMA enterprise")
    use(uri, monkeypatch)
    result = runner.invoke(app, ["status"])
    assert result.exit_code == 2, result.output
    assert "0.1" in result.output and __version__ in result.output and "make deploy" in result.output, result.output


def test_an_older_release_is_refused_and_a_newer_one_accepted(
    upgrade_db: tuple[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    uri, _ = upgrade_db
    with psycopg.connect(uri, autocommit=True) as conn:
        conn.execute("CREATE SCHEMA enterprise")
        conn.execute("CREATE FUNCTION enterprise.schema_version() RETURNS text LANGUAGE sql RETURN '0.1.7'")
    use(uri, monkeypatch)
    result = runner.invoke(app, ["status"])
    assert result.exit_code == 2, result.output
    assert "0.1.7" in result.output and "older than" in result.output, result.output

    with psycopg.connect(uri, autocommit=True) as conn:
        conn.execute("CREATE OR REPLACE FUNCTION enterprise.schema_version() RETURNS text LANGUAGE sql RETURN '9.0.0'")
    result = runner.invoke(app, ["status"])
    assert "older than" not in result.output and "not deployed" not in result.output, result.output


def test_the_deployed_test_database_passes_the_check(db_uri: str, monkeypatch: pytest.MonkeyPatch) -> None:
    use(db_uri, monkeypatch)
    result = runner.invoke(app, ["status"])
    assert result.exit_code == 0, result.output
    assert __version__ == "0.5.3"
