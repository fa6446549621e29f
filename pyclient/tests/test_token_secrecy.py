"""The EQC token never leaks (issue 6), and the stand-in listens on loopback only.

A distinctive token is used while EQC refuses it, answers 500/429/malformed and then succeeds, through the
client, the service, the worker command in a subprocess at DEBUG log level and the command line in-process.
Everything a person or a log shipper could see is collected and searched for the token (and for pieces of it):
log records of every logger at DEBUG, exception messages, reprs and chained tracebacks, CLI output, the rows
the queue and the mapping table hold, and the stand-in's own request log.
"""

from __future__ import annotations

import logging
import os
import socket
import subprocess
import sys
import traceback
from collections.abc import Iterator
from pathlib import Path

import httpx
import psycopg
import pytest
from company_enrichment.cli import app
from company_enrichment.db import EnrichmentDB
from company_enrichment.eqc import EQCAuthenticationError, EQCClient, EQCClientError
from company_enrichment.ratelimit import DatabaseRateLimiter
from company_enrichment.service import CompanyEnrichmentService
from company_enrichment.settings import load_settings
from company_enrichment.standin import EQCStandin, Fault
from typer.testing import CliRunner

TOKEN = "tok-7Q3xVb9ZkL2pW8mN4rT6yH1cJ5dF0gSa"
WRONG = "tok-Zz9Yy8Xx7Ww6Vv5Uu4Tt3Ss2Rr1Qq0Pp"


def pieces(secret: str) -> list[str]:
    """The secret and its 12-character slices: a truncated or wrapped leak is still a leak."""
    return [secret] + [secret[i : i + 12] for i in range(0, len(secret) - 11, 6)]


def assert_secret_free(text: str, where: str) -> None:
    for secret in (TOKEN, WRONG):
        for piece in pieces(secret):
            assert piece not in text, f"a piece of the token ({piece!r}) appears in {where}"


def exception_text(exc: BaseException) -> str:
    return "\n".join([str(exc), repr(exc), repr(exc.args), *traceback.format_exception(exc)])


@pytest.fixture
def standin(tag: str) -> Iterator[EQCStandin]:
    companies = [{"companyId": f"7{30000000 + i}", "companyFullName": f"{tag}秘密{i}有限公司"} for i in range(6)]
    with EQCStandin({"token": TOKEN, "companies": companies}).start() as server:
        yield server


@pytest.fixture
def everything_logged(caplog: pytest.LogCaptureFixture) -> Iterator[pytest.LogCaptureFixture]:
    """Every logger at DEBUG, httpx and httpcore included."""
    caplog.set_level(logging.DEBUG)
    for name in ("httpx", "httpcore", "company_enrichment", "psycopg"):
        caplog.set_level(logging.DEBUG, logger=name)
    yield caplog


def logged_text(caplog: pytest.LogCaptureFixture) -> str:
    lines = []
    for record in caplog.records:
        lines.append(record.getMessage())
        lines.append(repr(record.args))
        if record.exc_info and record.exc_info[1] is not None:
            lines.append(exception_text(record.exc_info[1]))
    return "\n".join(lines)


def test_the_token_appears_in_no_log_exception_repr_or_row(
    db_uri: str, empty_queue: None, tag: str, standin: EQCStandin, everything_logged: pytest.LogCaptureFixture
) -> None:
    seen: list[str] = []
    with EnrichmentDB.connect(db_uri, max_size=2) as db:
        limiter = DatabaseRateLimiter(db, 60_000, bucket=f"secret-{tag}")
        good = EQCClient(standin.url, TOKEN, retry_max=2, sleep=lambda _: None, rate_limiter=limiter)
        refused = EQCClient(standin.url, WRONG, retry_max=2, sleep=lambda _: None, rate_limiter=limiter)
        seen += [repr(good), str(good), repr(refused), repr(limiter), repr(good.__dict__), repr(vars(good)["_token"])]

        # A retry of each transient kind, then success.
        for kind in ("500", "429", "malformed"):
            standin.inject(Fault(kind=kind, times=1, retry_after=0 if kind == "429" else None))
            assert good.search_company(f"{tag}秘密1有限公司")[0].company_id == "730000001"
        # A refused token: 401 and TokenExpired.
        for client, fault in ((refused, None), (good, "expired"), (good, "401")):
            if fault:
                standin.inject(Fault(kind=fault, times=1))
            with pytest.raises(EQCAuthenticationError) as auth:
                client.search_company(f"{tag}秘密2有限公司")
            seen.append(exception_text(auth.value))
        # A transient failure that outlives the retries, and a transport error.
        standin.inject(Fault(kind="500", times=3))
        with pytest.raises(EQCClientError) as transient:
            good.search_company(f"{tag}秘密3有限公司")
        seen.append(exception_text(transient.value))
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        closed = EQCClient(f"http://127.0.0.1:{port}", TOKEN, retry_max=1, sleep=lambda _: None, rate_limiter=limiter)
        with pytest.raises(EQCClientError) as transport:
            closed.search_company("x")
        seen.append(exception_text(transport.value))
        assert isinstance(transport.value.__cause__, httpx.ConnectError), "the chained cause is in the traceback"

        # The queue path: a 500 retried, then an expired token while the worker holds a batch.
        for i in range(4):
            db.enqueue_lookup(f"{tag}秘密{i}有限公司")
        standin.inject(Fault(kind="500", times=None, name=f"{tag}秘密0有限公司"))
        standin.inject(Fault(kind="expired", times=None, name=f"{tag}秘密2有限公司"))
        service = CompanyEnrichmentService(db, good, lookup_retry_max=5)
        stats = service.process_lookup_queue(batch_size=10)
        assert stats.auth_failed and stats.retried == 1 and stats.found == 1 and stats.released == 2
        seen += [repr(service), repr(stats)]
        for client in (good, refused, closed):
            client.close()

        # Invalid tokens are refused without echoing them.
        for bad in (f"{TOKEN} with spaces", f"{TOKEN}\u00e9"):
            with pytest.raises(ValueError) as invalid:
                EQCClient(standin.url, bad)
            seen.append(exception_text(invalid.value))

    with psycopg.connect(db_uri) as conn:
        rows = conn.execute("SELECT to_jsonb(q)::text FROM enterprise.lookup_requests AS q").fetchall()
        mappings = conn.execute(
            "SELECT to_jsonb(m)::text FROM enterprise.company_mapping AS m WHERE alias_name LIKE %s", (f"{tag}%",)
        ).fetchall()
    assert len(rows) == 4 and any("HTTP 500" in r[0] for r in rows), "the retry left its last_error"
    assert len(mappings) == 1
    seen += [r[0] for r in rows + mappings]
    seen.append(repr([record.model_dump() for record in standin.request_log]))

    text = "\n".join(seen)
    assert "EQC refused the token" in text and "HTTP 500" in text, "the failures were captured"
    assert_secret_free(text, "exceptions, reprs or database rows")
    logs = logged_text(everything_logged)
    assert "retrying" in logs and "refused the token" in logs, "the retries and the refusal were logged"
    assert_secret_free(logs, "the log records")


def test_settings_never_show_the_token(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WDH_EQC_TOKEN", TOKEN)
    settings = load_settings()
    assert settings.eqc_token is not None and settings.eqc_token.get_secret_value() == TOKEN
    shown = "\n".join(
        [
            repr(settings),
            str(settings),
            repr(settings.model_dump()),
            settings.model_dump_json(),
            str(settings.eqc_token),
        ]
    )
    assert_secret_free(shown, "the settings' repr or dump")
    monkeypatch.setenv("WDH_EQC_RATE_LIMIT", "lots")
    with pytest.raises(Exception) as invalid:
        load_settings()
    assert "WDH_EQC_RATE_LIMIT" in str(invalid.value)
    assert_secret_free(exception_text(invalid.value), "a configuration error")


def worker_command() -> list[str]:
    script = Path(sys.executable).with_name("company-enrichment")
    return (
        [str(script)] if script.exists() else [sys.executable, "-c", "from company_enrichment.cli import main; main()"]
    )


def test_worker_process_output_at_debug_level_never_shows_the_token(
    db_uri: str, empty_queue: None, tag: str, standin: EQCStandin, tmp_path: Path
) -> None:
    with psycopg.connect(db_uri, autocommit=True) as conn:
        for i in range(4):
            conn.execute("SELECT enterprise.enqueue_lookup(%s)", (f"{tag}秘密{i}有限公司",))
    standin.inject(Fault(kind="500", times=1))
    standin.inject(Fault(kind="429", times=1, retry_after=0))
    standin.inject(Fault(kind="expired", times=None, name=f"{tag}秘密3有限公司"))
    env = {k: v for k, v in os.environ.items() if not k.startswith("WDH_")}
    env.update(
        WDH_DATABASE__URI=db_uri,
        WDH_EQC_BASE_URL=standin.url,
        WDH_EQC_TOKEN=TOKEN,
        WDH_EQC_RATE_LIMIT="60000",
        WDH_EQC_RETRY_MAX="2",
        WDH_LOG_LEVEL="DEBUG",
    )
    done = subprocess.run(
        [*worker_command(), "work", "--once", "--batch-size", "10"],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        timeout=60,
        check=False,
    )
    output = done.stdout.decode("utf-8", "replace") + done.stderr.decode("utf-8", "replace")
    assert done.returncode == 3, output
    assert "retrying" in output and "refused the token" in output, "the retry and the refusal were logged"
    assert "DEBUG" in output, "at DEBUG level (httpx, httpcore and the package)"
    assert_secret_free(output, "the worker's output at DEBUG level")
    with psycopg.connect(db_uri) as conn:
        rows = conn.execute("SELECT to_jsonb(q)::text FROM enterprise.lookup_requests AS q").fetchall()
    assert len(rows) == 4
    assert_secret_free("\n".join(r[0] for r in rows), "lookup_requests")


def test_cli_output_never_shows_the_token(
    db_uri: str, empty_queue: None, tag: str, standin: EQCStandin, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    for key, value in {
        "WDH_DATABASE__URI": db_uri,
        "WDH_EQC_BASE_URL": standin.url,
        "WDH_EQC_TOKEN": TOKEN,
        "WDH_EQC_RATE_LIMIT": "60000",
        "WDH_EQC_RETRY_MAX": "1",
    }.items():
        monkeypatch.setenv(key, value)
    records = tmp_path / "in.csv"
    records.write_text(f"customer_name\n{tag}秘密4有限公司\n{tag}秘密5有限公司\n", encoding="utf-8")
    runner = CliRunner()
    standin.inject(Fault(kind="500", times=1))
    standin.inject(Fault(kind="expired", times=None, name=f"{tag}秘密5有限公司"))
    outputs = [
        runner.invoke(app, ["resolve", str(records), "-o", str(tmp_path / "out.csv"), "--budget", "5"]),
        runner.invoke(app, ["work", "--once"]),
        runner.invoke(app, ["status"]),
    ]
    assert [r.exit_code for r in outputs] == [0, 3, 0], [r.output for r in outputs]
    text = "\n".join(r.output for r in outputs) + (tmp_path / "out.csv").read_text(encoding="utf-8")
    assert "success_external" in text and "EQC refused the token" in text
    assert_secret_free(text, "the command line's output")


# ------------------------------------------------------------------------------------- loopback only


def non_loopback_address() -> str:
    """An address of this machine that is not loopback (the route to a TEST-NET address), else 0.0.0.0."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("192.0.2.123", 9))  # UDP: nothing is sent
            address = str(probe.getsockname()[0])
        except OSError:
            return "0.0.0.0"
    return "0.0.0.0" if address.startswith("127.") else address


NOT_LOOPBACK = sorted({non_loopback_address(), "0.0.0.0", "::", socket.gethostname()} - {"localhost"})


@pytest.mark.parametrize("host", NOT_LOOPBACK)
def test_the_standin_refuses_to_bind_anything_but_loopback(host: str) -> None:
    with pytest.raises(ValueError, match="loopback only"):
        EQCStandin({"token": TOKEN, "companies": []}, host=host)
    result = CliRunner().invoke(app, ["eqc-standin", "--fixtures", os.devnull, "--host", host, "--port", "0"])
    assert result.exit_code == 2
    assert "loopback only" in result.output


def test_the_standin_listens_on_127_0_0_1_only() -> None:
    """Not on 0.0.0.0: another loopback address and this machine's own address are refused."""
    address = non_loopback_address()
    with EQCStandin({"token": TOKEN, "companies": []}).start() as server:
        url = httpx.URL(server.url)
        assert url.host == "127.0.0.1" and url.port
        assert httpx.get(f"{server.url}/_standin/stats", timeout=5).status_code == 200
        others = ["127.0.0.2"] + ([address] if address != "0.0.0.0" else [])
        for other in others:
            with socket.socket() as sock:
                sock.settimeout(5)
                assert sock.connect_ex((other, url.port)) != 0, f"{other}:{url.port} accepted a connection"
