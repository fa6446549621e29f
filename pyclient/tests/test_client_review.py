"""Issue 19, the Python client review: the inline budget, CSV files that line up, and bad EQC settings.

Real PostgreSQL, the EQC stand-in on loopback. The worker's items (settling, leases, errors, stops, LISTEN) are in
test_client_review_worker.py.
"""

from __future__ import annotations

import csv
import os
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from company_enrichment.cli import app
from company_enrichment.db import EnrichmentDB
from company_enrichment.eqc import EQCClient
from company_enrichment.models import CompanyRecord, ResolutionStatus
from company_enrichment.ratelimit import DatabaseRateLimiter
from company_enrichment.service import CompanyEnrichmentService
from company_enrichment.standin import EQCStandin
from typer.testing import CliRunner

runner = CliRunner()


@pytest.fixture
def standin(tag: str) -> Iterator[EQCStandin]:
    companies = [
        {"companyId": f"6{70000000 + i}", "companyFullName": f"{tag}复审{i}有限公司", "unite_code": None}
        for i in range(1, 4)
    ]
    with EQCStandin({"token": "review-token", "companies": companies}).start() as server:
        yield server


def write(path: Path, text: str) -> Path:
    path.write_bytes(text.encode("utf-8"))
    return path


def read_rows(path: Path) -> tuple[list[str], list[list[str]]]:
    with path.open(encoding="utf-8", newline="") as f:
        rows = list(csv.reader(f))
    return rows[0], rows[1:]


# ------------------------------------------------------------------------------- 3. the inline budget


def test_budget_is_spent_only_on_searches_made_and_unclaimable_ids_are_remembered(
    db_uri: str, standin: EQCStandin, tag: str, empty_queue: None
) -> None:
    backing_off, new = f"{tag}退避中的公司", f"{tag}复审1有限公司"
    with EnrichmentDB.connect(db_uri, max_size=2) as db:
        # A request backing off: claimed, failed with a Retry-After of an hour, so pending but not claimable.
        request = db.enqueue_lookup(backing_off)
        assert [r.id for r in db.claim_lookups(1, "someone-else")] == [request.id]
        db.fail_lookup(request.id, "someone-else", "EQC 503", retry_after=timedelta(hours=1))
        with EQCClient(
            standin.url,
            standin.token,
            retry_max=0,
            sleep=lambda _: None,
            rate_limiter=DatabaseRateLimiter(db, 60_000, bucket=f"review-{tag}"),
        ) as eqc:
            service = CompanyEnrichmentService(db, eqc, sync_lookup_budget=5)
            records = [CompanyRecord(customer_name=backing_off)] * 5 + [CompanyRecord(customer_name=new)]
            results = service.resolve_batch(records)
            assert [r.status for r in results] == [ResolutionStatus.PENDING_LOOKUP] * 5 + [
                ResolutionStatus.SUCCESS_EXTERNAL
            ]
            assert results[5].company_id == "670000001"
            assert service.sync_lookup_budget == 4, "one unit for the one search made"
            assert standin.stats().search_requests == 1

            # The single-record path spends nothing on a request it cannot claim either.
            again = service.resolve_company_id(customer_name=backing_off)
            assert again.status is ResolutionStatus.PENDING_LOOKUP
            assert service.sync_lookup_budget == 4
            # Nor does a per-call allowance run out on it.
            assert (
                service.resolve_batch(
                    [CompanyRecord(customer_name=backing_off)] * 3
                    + [CompanyRecord(customer_name=f"{tag}复审2有限公司")],
                    sync_lookup_budget=1,
                )[3].status
                is ResolutionStatus.SUCCESS_EXTERNAL
            )
        row = db.claim_lookup(request.id, "probe")
        assert row is None, "the backing-off request was left alone"


# ------------------------------------------------------------------------------------------ 7. CSV files


def test_a_blank_line_is_a_record_with_no_fields_and_gets_its_row(
    env: dict[str, str], tmp_path: Path, tag: str, empty_queue: None
) -> None:
    one = write(tmp_path / "one.csv", f"customer_name\n{tag}复审1有限公司\n\n{tag}某新公司\n")
    out = tmp_path / "one.out.csv"
    result = runner.invoke(app, ["resolve", str(one), "-o", str(out), "--budget", "0"])
    assert result.exit_code == 0, result.output
    header, rows = read_rows(out)
    assert header == ["customer_name", "company_id", "status", "source", "match_type", "temp_id", "request_id"]
    assert len(rows) == 3, rows
    assert [r[0] for r in rows] == [f"{tag}复审1有限公司", "", f"{tag}某新公司"]
    with EnrichmentDB.connect(env["WDH_DATABASE__URI"], max_size=1) as db:
        empty = db.resolve_company_id()
    # As the SQL API answers a record with no fields: temp_assigned, with a fresh TEMP id.
    assert rows[1][2] == empty.status.value == "temp_assigned"
    assert rows[1][1].startswith("TEMP_") and (empty.company_id or "").startswith("TEMP_")

    wide = write(tmp_path / "wide.csv", f"plan_code,customer_name\n,{tag}复审2有限公司\n\n,{tag}某新公司\n")
    out = tmp_path / "wide.out.csv"
    result = runner.invoke(app, ["resolve", str(wide), "-o", str(out), "--budget", "0"])
    assert result.exit_code == 0, result.output
    _, rows = read_rows(out)
    assert len(rows) == 3
    assert rows[1][:2] == ["", ""] and rows[1][2].startswith("TEMP_") and rows[1][3] == "temp_assigned"
    assert "total" in result.output and "3" in result.output


def test_the_output_file_gets_the_mode_the_umask_gives(env: dict[str, str], tmp_path: Path, tag: str) -> None:
    records = write(tmp_path / "in.csv", f"customer_name\n{tag}甲\n")
    out = tmp_path / "out.csv"
    old = os.umask(0o002)
    try:
        result = runner.invoke(app, ["resolve", str(records), "-o", str(out), "--budget", "0"])
    finally:
        os.umask(old)
    assert result.exit_code == 0, result.output
    assert out.stat().st_mode & 0o777 == 0o664


def test_a_resolved_file_can_be_resolved_again(
    env: dict[str, str], tmp_path: Path, tag: str, empty_queue: None
) -> None:
    records = write(tmp_path / "in.csv", f"customer_name,status,note\n{tag}复审1有限公司,vip,a\n{tag}新名字,,b\n")
    first = tmp_path / "first.csv"
    result = runner.invoke(app, ["resolve", str(records), "-o", str(first), "--budget", "1"])
    assert result.exit_code == 0, result.output
    assert "status" in result.output and "replace" in result.output, "a warning names the replaced column"
    header, rows = read_rows(first)
    assert header == ["customer_name", "note", "company_id", "status", "source", "match_type", "temp_id", "request_id"]
    assert [r[3] for r in rows] == ["success_external", "pending_lookup"]

    second = tmp_path / "second.csv"
    result = runner.invoke(app, ["resolve", str(first), "-o", str(second), "--budget", "0"])
    assert result.exit_code == 0, result.output
    header2, rows2 = read_rows(second)
    assert header2 == header, "each result column once"
    assert rows2 == rows


# ------------------------------------------------------------------------------------- 8. bad EQC settings


@pytest.mark.parametrize(
    ("variable", "value", "secret"),
    [
        ("WDH_EQC_TOKEN", "Bearer s3cretTokenValue", "s3cretTokenValue"),
        ("WDH_EQC_BASE_URL", "http://alice:hunter2pw@127.0.0.1:9", "hunter2pw"),
        ("WDH_EQC_BASE_URL", "http://alice:hunter2pw@", "hunter2pw"),
    ],
)
def test_bad_eqc_settings_exit_2_naming_the_variable_and_never_the_secret(
    env: dict[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch, variable: str, value: str, secret: str
) -> None:
    monkeypatch.setenv(variable, value)
    records = write(tmp_path / "in.csv", "customer_name\n某公司\n")
    for command in (["resolve", str(records), "-o", str(tmp_path / "out.csv")], ["work", "--once"]):
        result = runner.invoke(app, command)
        assert result.exit_code == 2, (command, result.output, result.exception)
        assert isinstance(result.exception, SystemExit), result.exception
        assert variable in result.output
        assert secret not in result.output
        assert len([line for line in result.output.splitlines() if line.strip()]) == 1, result.output
    assert not (tmp_path / "out.csv").exists()


def test_bad_base_url_message_from_the_client_hides_credentials() -> None:
    with pytest.raises(ValueError) as info:
        EQCClient("http://alice:hunter2pw@", "token")
    assert "hunter2pw" not in str(info.value)
