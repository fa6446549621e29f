"""The command line's process-level options and the worker's operations: ``--version``, ``--log-format`` (and
``WDH_LOG_LEVEL``), and the metrics and health endpoints of ``work --metrics-port`` (:mod:`.metrics`)."""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Annotated

import typer

from .cli_common import console, err_console
from .db import EnrichmentDB
from .errors import ConfigurationError, DatabaseError
from .logs import LogFormat, configure_logging
from .settings import load_settings
from .worker import WorkerMonitor

if TYPE_CHECKING:
    from .metrics import WorkerMetrics

__all__ = ["metrics_server", "notice", "own_logging", "register_options"]

_process = {"owns_logging": False, "json_logs": False}
_notices = logging.getLogger("company_enrichment.cli")


def notice(markup: str, plain: str, *, level: int = logging.WARNING) -> None:
    """A message of the command's own on stderr: printed with ``markup`` (rich), or, with JSON logs, logged as
    ``plain`` so that stderr stays one JSON object a line."""
    if _process["json_logs"]:
        _notices.log(level, plain)
    else:
        err_console.print(markup, highlight=False)


def own_logging() -> None:
    """Called by the console script: the options configure logging (embedded, the application does)."""
    _process["owns_logging"] = True


def register_options(app: typer.Typer) -> None:
    app.callback()(_options)


@contextmanager
def metrics_server(db: EnrichmentDB, monitor: WorkerMonitor, host: str, port: int) -> Iterator[WorkerMetrics]:
    """The worker's metrics and health endpoints (:mod:`.metrics`), for the duration of the run."""
    from .metrics import MetricsServer, WorkerMetrics

    metrics = WorkerMetrics(db)
    metrics.totals = monitor.totals
    metrics.threads_alive = monitor.threads_alive
    try:
        server = MetricsServer(metrics, host, port)
    except OSError as exc:
        raise ConfigurationError(f"--metrics-port: cannot listen on {host}:{port}: {exc.strerror or exc}") from None
    with server:
        where = f"metrics on http://{host}:{server.port}/metrics (and /healthz, /readyz)"
        notice(where, where, level=logging.INFO)
        yield metrics


def _print_version(value: bool) -> None:
    """--version: the client's version and, when a database is configured, the schema release deployed there."""
    if not value:
        return
    from . import __version__

    console.print(f"company-enrichment {__version__}", highlight=False)
    try:
        settings = load_settings()
    except ConfigurationError as exc:
        console.print(f"deployed schema: unknown ({exc})", highlight=False)
        raise typer.Exit(0) from None
    if settings.database.uri:
        try:
            with EnrichmentDB.connect(
                settings.database.uri, max_size=1, transaction_pooling=settings.database.transaction_pooling
            ) as db:
                release = db.deployed_release()
        except (DatabaseError, OSError) as exc:
            console.print(f"deployed schema: unknown (the database does not answer: {exc})", highlight=False)
            raise typer.Exit(0) from None
        shown = "none (not deployed)" if release is None else ("0.1.x" if release == "0.1" else release)
        console.print(f"deployed schema: {shown}", highlight=False)
    raise typer.Exit(0)


def _options(
    log_format: Annotated[
        LogFormat, typer.Option(envvar="WDH_LOG_FORMAT", help="Log lines as plain text or as one JSON object each.")
    ] = LogFormat.TEXT,
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_print_version, is_eager=True, help="Print the client's and the schema's release."
        ),
    ] = False,
) -> None:
    """Resolve pipeline records to a unified company_id (settings: WDH_* environment variables)."""
    if _process["owns_logging"]:  # run as a program (main), not embedded (tests, other applications)
        configure_logging(os.environ.get("WDH_LOG_LEVEL", "WARNING"), log_format, secrets=_secrets())
        _process["json_logs"] = log_format is LogFormat.JSON


def _secrets() -> list[str]:
    """What no log line may show: the EQC token (from the environment or the settings' .env file)."""
    secrets = [os.environ.get("WDH_EQC_TOKEN", "")]
    try:
        token = load_settings().eqc_token
    except ConfigurationError:
        token = None
    if token is not None:
        secrets.append(token.get_secret_value())
    return [s for s in secrets if s.strip()]
