"""README.md's SQL is a tested document (issue 17): every ```sql block, in order, pasted into one psql session on a
fresh database with the plan deployed and examples/mappings.csv loaded (what `make demo` starts from), must succeed.

The blocks carry ids from one statement to the next with psql's \\gset and :name, as the README explains, so nothing
is filled in by hand; a block that names an id it never obtained fails here (psql leaves :name as it is)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import psycopg
from sqitch_support import deploy

ROOT = Path(__file__).resolve().parents[2]
CLI = Path(sys.executable).parent / "company-enrichment"


def sql_blocks() -> list[str]:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    return re.findall(r"^```sql\n(.*?)^```", readme, re.S | re.M)


def test_readme_has_sql_examples() -> None:
    assert len(sql_blocks()) >= 6


def test_every_readme_sql_block_runs_in_order(upgrade_db: tuple[str, str]) -> None:
    uri, target = upgrade_db
    deploy(target)
    loaded = subprocess.run(
        [str(CLI), "mappings", "import", "examples/mappings.csv"], cwd=ROOT, capture_output=True, text=True,
        timeout=120, check=False, env={"WDH_DATABASE__URI": uri, "PATH": "/usr/bin:/bin"},
    )
    assert loaded.returncode == 0, loaded.stdout + loaded.stderr
    script = "".join(
        f"\\echo '=== README sql block {n}'\n{block}\n" for n, block in enumerate(sql_blocks(), start=1)
    )
    done = subprocess.run(
        ["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", uri], input=script, capture_output=True, text=True,
        timeout=300, check=False,
    )
    last = re.findall(r"=== README sql block (\d+)", done.stdout)
    assert done.returncode == 0, f"README sql block {last[-1] if last else '?'} failed:\n{done.stderr}"
    assert done.stderr == "", done.stderr
    assert len(last) == len(sql_blocks())
    # The examples clean up after themselves: nothing they claimed is left held by their worker.
    with psycopg.connect(uri) as conn:
        row = conn.execute("SELECT count(*) FROM enterprise.lookup_requests WHERE status = 'processing'").fetchone()
        # Its try of the rate limiter used a bucket of its own: the workers' bucket answers "go now".
        permit = conn.execute("SELECT enterprise.acquire_eqc_permit(rate_per_minute => 10)").fetchone()
    assert row == (0,)
    assert permit == (0,)
