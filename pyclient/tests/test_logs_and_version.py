"""JSON logs and --version (issue 11): `--log-format json` / WDH_LOG_FORMAT=json give one JSON object per line with
time, level, logger, worker and message, plus request_id and outcome where a line is about a request, and never the
token; `--version` prints the client's release and the schema release of the configured database."""

from __future__ import annotations

import json
import logging
import signal
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from cli_support import runner
from company_enrichment import __version__
from company_enrichment.cli import app
from company_enrichment.logs import JsonFormatter
from company_enrichment.standin import Fault
from test_reliability_worker import Rig, make_rig, wait_until
from test_worker_metrics import free_port


@pytest.fixture
def rig(db_uri: str, empty_queue: None, tag: str, tmp_path: Path) -> Iterator[Rig]:
    with make_rig(db_uri, tag, tmp_path) as rig:
        yield rig


def json_lines(text: str) -> list[dict[str, object]]:
    lines = [line for line in text.splitlines() if line.strip()]
    return [json.loads(line) for line in lines]  # every line must be one JSON object


@pytest.mark.parametrize("how", ["flag", "env"])
def test_json_logs_one_object_a_line_with_request_and_outcome_and_never_the_token(rig: Rig, how: str) -> None:
    rig.enqueue([rig.known(0), rig.unknown(0), rig.known(1)])
    rig.standin.inject(Fault(kind="500", name=rig.known(1), times=1))
    env = rig.env(WDH_LOG_LEVEL="DEBUG", **({"WDH_LOG_FORMAT": "json"} if how == "env" else {}))
    args = ["--log-format", "json"] if how == "flag" else []
    worker = rig.start_worker("--once", env=env, prefix=args)
    assert worker.wait(60) == 0, worker.output()
    stderr = worker.stderr.read_text(encoding="utf-8")
    entries = json_lines(stderr)
    assert entries, "the worker logged at DEBUG"
    for entry in entries:
        assert {"time", "level", "logger", "worker", "message"} <= entry.keys(), entry
    settled = {e["outcome"] for e in entries if "request_id" in e and "outcome" in e}
    assert {"found", "not_found", "retried"} <= settled, settled
    from_worker = [e for e in entries if e.get("outcome") == "found"]
    assert all(str(e["worker"]).endswith(":0") for e in from_worker), from_worker
    assert rig.standin.token not in stderr + worker.stdout.read_text(encoding="utf-8")


def test_a_line_that_somehow_carries_the_token_shows_stars() -> None:
    """The formatter's last line of defence: the package never logs the token on purpose, but a message (an
    exception text, say) that holds it is written with *** instead."""
    formatter = JsonFormatter(secrets=["s3cret-token-value"])
    record = logging.LogRecord(
        "company_enrichment.eqc", logging.ERROR, __file__, 1, "got %s", ("s3cret-token-value",), None
    )
    entry = json.loads(formatter.format(record))
    assert entry["message"] == "got ***"
    assert entry["level"] == "ERROR" and entry["logger"] == "company_enrichment.eqc"
    assert entry["worker"] == "MainThread"


def test_version_prints_the_client_and_the_deployed_schema(
    db_uri: str, upgrade_db: tuple[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("WDH_DATABASE__URI", raising=False)
    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == f"company-enrichment {__version__}"

    monkeypatch.setenv("WDH_DATABASE__URI", db_uri)
    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [f"company-enrichment {__version__}", f"deployed schema: {__version__}"]

    monkeypatch.setenv("WDH_DATABASE__URI", upgrade_db[0])
    result = runner.invoke(app, ["--version"])
    assert "deployed schema: none (not deployed)" in result.output, result.output


def test_with_json_logs_the_commands_own_messages_are_json_too(rig: Rig) -> None:
    """The metrics address and the signal notice go to stderr as log lines, so stderr stays one JSON object a line."""
    port = free_port()
    worker = rig.start_worker(
        "--metrics-port", str(port), env=rig.env(WDH_LOG_LEVEL="INFO"), prefix=["--log-format", "json"]
    )
    wait_until(lambda: worker.stderr.read_text(encoding="utf-8").count("\n") >= 1, 30, "the metrics notice")
    wait_until(lambda: httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200, 30, "healthz")
    worker.process.send_signal(signal.SIGTERM)
    assert worker.wait(10) == 0, worker.output()
    messages = [str(e["message"]) for e in json_lines(worker.stderr.read_text(encoding="utf-8"))]
    assert any(m.startswith("metrics on http://127.0.0.1:") for m in messages), messages
    assert "SIGTERM: finishing the request in hand" in messages, messages
