"""What every command of the command line shares: the consoles, plain error reports with the right exit code,
the settings and the database connection. The commands live in :mod:`.cli` and, one room per topic, in modules
it registers (:mod:`.cli_review`).

Exit codes: 0 success; 1 a database or input error (message, detail and hint printed); 2 bad usage (an option
naming a column the file lacks, an output path that cannot be written, a number out of range) or configuration (and
a decisions file ``review apply`` refuses); 3 EQC refused the token (worker).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import typer
from rich.console import Console

from .db import EnrichmentDB
from .errors import CompanyEnrichmentError, ConfigurationError, DatabaseError, UsageError
from .schema import check_schema
from .settings import Settings

__all__ = ["HELP_SETTINGS", "connect", "console", "err_console", "errors_reported", "print_database_error"]

#: click context settings of every command: help as wide as the terminal allows, up to 100 columns.
HELP_SETTINGS: dict[str, Any] = {"max_content_width": 100}

console = Console(soft_wrap=True)
err_console = Console(stderr=True, soft_wrap=True)


def print_database_error(exc: DatabaseError, *, prefix: str = "") -> None:
    """The database's message, detail and hint, one per line (never a traceback)."""
    code = f" \\[{exc.sqlstate}]" if exc.sqlstate else ""
    err_console.print(f"[bold red]database error[/]{code}: {prefix}{exc.message}", highlight=False)
    if exc.detail:
        err_console.print(f"  detail: {exc.detail}", highlight=False)
    if exc.hint:
        err_console.print(f"  hint: {exc.hint}", highlight=False)


@contextmanager
def errors_reported() -> Iterator[None]:
    """Print the package's errors plainly (message, detail, hint) and exit with the right code."""
    try:
        yield
    except (ConfigurationError, UsageError) as exc:
        err_console.print(f"[bold red]error:[/] {exc}", highlight=False)
        raise typer.Exit(2) from None
    except DatabaseError as exc:
        print_database_error(exc)
        raise typer.Exit(1) from None
    except CompanyEnrichmentError as exc:
        err_console.print(f"[bold red]error:[/] {exc}", highlight=False)
        raise typer.Exit(1) from None


def connect(settings: Settings, *, max_size: int = 8) -> EnrichmentDB:
    """The database, once it is known to run the schema this client needs (:func:`.schema.check_schema`)."""
    db = EnrichmentDB.connect(
        settings.require_database_uri(),
        max_size=max_size,
        connect_timeout=settings.database.connect_timeout,
        changed_by=settings.changed_by,
        listen_uri=settings.database.listen_uri,
        transaction_pooling=settings.database.transaction_pooling,
    )
    try:
        check_schema(db)
    except BaseException:
        db.close()
        raise
    return db
