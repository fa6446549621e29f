"""Running sqitch against a throwaway database next to the test database (upgrade tests; the database is the
upgrade_db fixture of conftest.py)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def sqitch(target: str, *args: str) -> subprocess.CompletedProcess[str]:
    exe = shutil.which("sqitch")
    assert exe, "sqitch is not on PATH: run the tests with `make test`"
    return subprocess.run(
        [exe, *args, "--target", target], cwd=ROOT, capture_output=True, text=True, timeout=300, check=False
    )


def deploy(target: str, *args: str) -> None:
    done = sqitch(target, "deploy", *args)
    assert done.returncode == 0, done.stdout + done.stderr
