"""``company-enrichment web``: serve the console with uvicorn. Starlette and uvicorn are imported only here, when the
command runs, so the rest of the command line works without the ``web`` extra."""

from __future__ import annotations

from typing import Annotated

import typer

from ..cli_common import connect, err_console, errors_reported
from ..settings import load_settings

__all__ = ["web"]


def web(
    host: Annotated[str, typer.Option(help="Address to bind.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to bind.", min=1, max=65535)] = 8765,
) -> None:
    """Serve the web console: review uncertain matches, look a name up, watch the queue, search mappings.

    Connects as WDH_WEB_DATABASE__URI (else WDH_DATABASE__URI): that role decides what the console may do."""
    try:
        import uvicorn

        from .app import create_app
    except ImportError as exc:
        err_console.print(f'[bold red]error:[/] the web console needs pip install "company-enrichment\\[web]" ({exc})')
        raise typer.Exit(2) from None
    with errors_reported():
        settings = load_settings()
        settings = settings.model_copy(
            update={"database": settings.database.model_copy(update={"uri": settings.web_database_uri()})}
        )
        with connect(settings, max_size=4) as db:
            uvicorn.run(create_app(db), host=host, port=port, log_level="info")
