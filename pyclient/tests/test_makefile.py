"""Makefile targets a newcomer runs by hand (issue 17): they answer plainly instead of ending in a make error."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_db_status_on_a_stopped_cluster_says_stopped_without_a_make_error(tmp_path: Path) -> None:
    # A copy of the Makefile and scripts: a checkout whose cluster was never started (ours keeps running).
    shutil.copy(ROOT / "Makefile", tmp_path / "Makefile")
    shutil.copytree(ROOT / "scripts", tmp_path / "scripts")
    done = subprocess.run(
        ["make", "-s", "db-status"], cwd=tmp_path, capture_output=True, text=True, timeout=60, check=False
    )
    assert (done.returncode, done.stdout.strip(), done.stderr) == (0, "stopped", "")
    assert not (tmp_path / ".pg" / "data").exists()


def test_db_status_on_a_running_cluster_says_running() -> None:
    # On a database of your own (LOCAL_DB unset), this checkout's cluster may never have been started: stopped.
    expected = {"running"} if os.environ.get("LOCAL_DB") == "1" else {"running", "stopped"}
    done = subprocess.run(
        ["make", "-s", "db-status"], cwd=ROOT, capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0 and done.stdout.strip() in expected, done


def test_psql_db_refuses_when_a_database_uri_is_set() -> None:
    env = dict(os.environ, WDH_DATABASE__URI="postgresql://nobody@/elsewhere")
    done = subprocess.run(
        ["make", "-s", "psql", "DB=enrichment_demo"], cwd=ROOT, env=env, input="", capture_output=True, text=True,
        timeout=60, check=False,
    )
    assert done.returncode != 0
    assert "DB names a database of the project-local cluster, but WDH_DATABASE__URI is set" in done.stderr
