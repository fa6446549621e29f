"""Helpers for the command-line tests (test_cli.py, test_review.py): the CliRunner and CSV files in and out. The
``env`` fixture that points the CLI at the test database and a module's ``standin`` is in conftest.py."""

from __future__ import annotations

import csv
from pathlib import Path

from typer.testing import CliRunner

runner = CliRunner()


def write(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.write_bytes(text.encode(encoding))
    return path


def read_rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))
