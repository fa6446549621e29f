"""examples/monitoring (issue 11): the alert rules parse and name only metrics that exist (the worker's, or
postgres_exporter's from queries.yaml), `promtool check rules` accepts them where promtool is installed, the
postgres_exporter query runs against the deployed view, and the systemd unit stops the worker the way it expects."""

from __future__ import annotations

import configparser
import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import psycopg
import yaml
from company_enrichment.db import EnrichmentDB
from company_enrichment.metrics import WorkerMetrics
from prometheus_client.parser import text_string_to_metric_families

MONITORING = Path(__file__).resolve().parents[2] / "examples" / "monitoring"


def load(name: str) -> Any:
    return yaml.safe_load((MONITORING / name).read_text(encoding="utf-8"))


def exporter_metrics() -> set[str]:
    queries = load("queries.yaml")
    return {
        f"{namespace}_{column}"
        for namespace, spec in queries.items()
        for metric in spec["metrics"]
        for column in metric
    }


def worker_metrics(db_uri: str) -> set[str]:
    with EnrichmentDB.connect(db_uri, max_size=1) as db:
        text = WorkerMetrics(db).exposition().decode()
    names: set[str] = set()
    for family in text_string_to_metric_families(text):
        names.update(sample.name for sample in family.samples)
    return names


def test_alert_rules_parse_and_use_only_metrics_that_exist(db_uri: str) -> None:
    rules = load("alerts.yml")
    known = worker_metrics(db_uri) | exporter_metrics() | {"up"}
    alerts = [rule for group in rules["groups"] for rule in group["rules"]]
    assert {a["alert"] for a in alerts} >= {
        "CompanyEnrichmentBacklogGrowing",
        "CompanyEnrichmentEQCRefusedToken",
        "CompanyEnrichmentLookupFailures",
    }
    for alert in alerts:
        assert alert["labels"]["severity"] in {"warning", "critical"}, alert
        assert alert["annotations"]["summary"] and alert["annotations"]["description"], alert
        used = set(re.findall(r"\b(?:company_enrichment_\w+|up)\b(?=\s*[{\[)>=<]|\s*$)", alert["expr"]))
        assert used, alert["expr"]
        assert used <= known, (alert["alert"], used - known)
    promtool = os.environ.get("PROMTOOL") or shutil.which("promtool")  # Debian: apt-get install prometheus
    if promtool:
        out = subprocess.run([promtool, "check", "rules", str(MONITORING / "alerts.yml")], capture_output=True)
        assert out.returncode == 0, out.stdout + out.stderr


def test_the_postgres_exporter_query_runs_on_the_deployed_view(conn: psycopg.Connection[tuple[object, ...]]) -> None:
    queries = load("queries.yaml")
    for spec in queries.values():
        cur = conn.execute(spec["query"])
        columns = [c.name for c in cur.description or []]
        assert columns == [column for metric in spec["metrics"] for column in metric]
        row = cur.fetchone()
        assert row is not None and all(isinstance(v, int | float) for v in row), row


def test_the_systemd_unit_runs_the_worker_with_metrics_and_waits_out_a_stop() -> None:
    unit = configparser.ConfigParser(strict=False, interpolation=None)
    unit.optionxform = str  # type: ignore[assignment,method-assign]
    unit.read(MONITORING / "company-enrichment-worker.service", encoding="utf-8")
    service = unit["Service"]
    assert " work " in service["ExecStart"] and "--metrics-port" in service["ExecStart"]
    assert service["KillSignal"] == "SIGTERM"
    assert int(service["TimeoutStopSec"]) > 30, "more than the default EQC timeout"
    assert set(service["RestartPreventExitStatus"].split()) == {"2", "3"}
    assert unit["Install"]["WantedBy"] == "multi-user.target"
