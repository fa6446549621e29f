"""`make demo` as a newcomer meets it (issue 17): it runs the demo script once, into a database of its own, then checks
what a user sees after it: no EQC stand-in left running, "[localdb] ready" said once, the deploy counted, README.md's
summary block equal to the demo's, and the printed way to reach the demo's data working as printed."""

from __future__ import annotations

import os
import re
import socket
import subprocess
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pytest

ROOT = Path(__file__).resolve().parents[2]
DEMO_DB = "enrichment_demo_pytest"
SUMMARY_MARKER = "<!-- demo-summary"


class DemoRun:
    def __init__(self, output: str, returncode: int, local: bool, env: dict[str, str]) -> None:
        self.output = output
        self.returncode = returncode
        self.local = local
        self.env = env


def _plan_changes() -> list[str]:
    names = []
    for line in (ROOT / "sqitch.plan").read_text(encoding="utf-8").splitlines():
        if line and line[0] not in "%@#" and not line[0].isspace():
            names.append(line.split()[0])
    return names


def _standin_processes(port: int) -> list[int]:
    found = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            args = (proc / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if b"eqc-standin" in args and str(port).encode() in args:
            found.append(int(proc.name))
    return found


@pytest.fixture(scope="module")
def demo(db_uri: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[DemoRun]:
    """Run scripts/demo.sh once: on the project-local cluster in database enrichment_demo_pytest (so your own
    enrichment_demo is left alone) when the tests run there, else in a fresh database next to the test database."""
    env = dict(os.environ)
    env["DEMO_OUT"] = str(tmp_path_factory.mktemp("demo"))
    local = env.get("LOCAL_DB") == "1"
    parts = urlsplit(db_uri)
    name = DEMO_DB if local else "demo_" + os.urandom(5).hex()
    if local:
        env.pop("WDH_DATABASE__URI", None)
        env["DEMO_DATABASE"] = name
    else:
        with psycopg.connect(db_uri, autocommit=True) as admin:
            admin.execute(f"CREATE DATABASE {name}")
        env["WDH_DATABASE__URI"] = urlunsplit(parts._replace(path=f"/{name}"))
    done = subprocess.run(
        ["scripts/demo.sh"], cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        timeout=900, check=False,
    )
    try:
        yield DemoRun(done.stdout, done.returncode, local, env)
    finally:
        with psycopg.connect(db_uri, autocommit=True) as admin:
            admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def test_demo_passes(demo: DemoRun) -> None:
    assert demo.returncode == 0, demo.output[-4000:]


def test_no_standin_is_left_running(demo: DemoRun) -> None:
    match = re.search(r"EQC stand-in on http://127\.0\.0\.1:(\d+)", demo.output)
    assert match, demo.output[-4000:]
    port = int(match.group(1))
    assert _standin_processes(port) == [], f"the demo's EQC stand-in (port {port}) is still running"
    with socket.socket() as sock, pytest.raises(ConnectionRefusedError):
        sock.connect(("127.0.0.1", port))


def test_localdb_says_ready_once(demo: DemoRun) -> None:
    assert demo.output.count("[localdb] ready") == (1 if demo.local else 0), demo.output[:2000]


def test_deploy_step_counts_every_change(demo: DemoRun) -> None:
    changes = _plan_changes()
    assert f"{len(changes)} changes deployed, from {changes[0]} to {changes[-1]}" in demo.output


def test_readme_shows_the_demo_summary(demo: DemoRun) -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    match = re.search(re.escape(SUMMARY_MARKER) + r".*?-->\n+```\n(.*?)```", readme, re.S)
    assert match, "README.md has no demo summary block after " + SUMMARY_MARKER
    printed = re.search(r"\n==> summary\n(.*?)\n\s*\nmake demo: done", demo.output, re.S)
    assert printed, demo.output[-4000:]
    assert match.group(1).strip() == printed.group(1).strip()


def test_the_demo_says_how_to_reach_its_data(demo: DemoRun) -> None:
    """Run the commands the demo printed, as printed, and find the demo's mappings."""
    query = "SELECT current_database() || ' ' || count(*) FROM enterprise.company_mapping"
    env = {k: v for k, v in demo.env.items() if k != "WDH_DATABASE__URI"} if demo.local else demo.env
    if demo.local:
        commands = re.findall(r"^  (make psql DB=\S+|export LOCALDB_NAME=.*)$", demo.output, re.M)
        assert len(commands) == 2, demo.output[-2000:]
        make_psql, export_line = commands
        by_make = subprocess.run(
            ["bash", "-c", f"{make_psql} -s"], cwd=ROOT, env=env, input=query + ";\n", capture_output=True,
            text=True, timeout=120, check=False,
        )
        by_env = subprocess.run(
            ["bash", "-c", f'{export_line}; psql -X -At -d "$WDH_DATABASE__URI" -c "{query}"'], cwd=ROOT, env=env,
            capture_output=True, text=True, timeout=120, check=False,
        )
        for done in (by_make, by_env):
            found = re.search(rf"^ ?{DEMO_DB} (\d+)$", done.stdout, re.M)
            assert found and int(found.group(1)) > 300, done
    else:
        assert "The demo's data is in the database of WDH_DATABASE__URI" in demo.output
        with psycopg.connect(env["WDH_DATABASE__URI"]) as conn:
            row = conn.execute(query).fetchone()
        assert row is not None and int(str(row[0]).split()[-1]) > 300
