"""``company-enrichment mappings history | imports | revert``: what changed a mapping, and the undo of an import.

Every insert, update and delete of a mapping is recorded by the database (``enterprise.company_mapping_history``),
grouped in change sets: one ``mappings import`` (labelled with the file name), one revert, or one transaction of other
writes (the worker's settle batch, a DBA's manual SQL). ``mappings imports`` lists the change sets, ``mappings
history`` shows one alias's changes, and ``mappings revert`` undoes a change set, all or nothing, as a change set of
its own (so an undo can be undone). A revert over rows that later change sets changed is refused (CE005) unless
``--force``.

Exit codes as for every command (:mod:`.cli_common`).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated

import typer
from rich.table import Table

from .cli_common import connect, console, errors_reported
from .models import MappingChangeSet, MappingHistoryEntry
from .settings import load_settings

__all__ = ["register_history_commands"]


def _change(before: object, after: object) -> str:
    """``before -> after``; one value when it did not change; '-' for a row that did not exist."""
    shown = ["-" if v is None else f"{v:.2f}" if isinstance(v, Decimal) else str(v) for v in (before, after)]
    return shown[1] if shown[0] == shown[1] else f"{shown[0]} -> {shown[1]}"


def _who(changed_by: str | None, session_user_name: str, application_name: str | None) -> str:
    via = f"{session_user_name}" + (f" via {application_name}" if application_name else "")
    return f"{changed_by} ({via})" if changed_by else via


def history_table(alias: str, entries: list[MappingHistoryEntry]) -> Table:
    table = Table(title=f"history of {alias}")
    for column in ("when", "change set", "operation", "match_type", "canonical_id", "source", "confidence", "who"):
        table.add_column(column, justify="right" if column == "change set" else "left")
    for e in entries:
        table.add_row(
            e.changed_at.isoformat(sep=" ", timespec="seconds"),
            str(e.change_set),
            e.operation,
            e.match_type,
            _change(e.canonical_id_before, e.canonical_id_after),
            _change(e.source_before, e.source_after),
            _change(e.confidence_before, e.confidence_after),
            _who(e.changed_by, e.session_user_name, e.application_name),
        )
    return table


def change_sets_table(change_sets: list[MappingChangeSet]) -> Table:
    table = Table(title="mapping change sets, newest first")
    for column in ("id", "kind", "label", "when", "who", "inserted", "updated", "deleted"):
        table.add_column(column, justify="right" if column in ("id", "inserted", "updated", "deleted") else "left")
    for c in change_sets:
        label = c.label or ""
        if c.reverts is not None and not label:
            label = f"revert of {c.reverts}"
        table.add_row(
            str(c.id),
            c.kind,
            label,
            c.created_at.isoformat(sep=" ", timespec="seconds"),
            _who(c.changed_by, c.session_user_name, c.application_name),
            str(c.inserted),
            str(c.updated),
            str(c.deleted),
        )
    return table


def history(
    alias: Annotated[str, typer.Argument(metavar="ALIAS", help="The alias as loaded: a plan code, account or name.")],
    match_type: Annotated[
        str | None, typer.Option(help="Only this kind: plan, account, hardcode, name or account_name.")
    ] = None,
) -> None:
    """Show every change of an alias's mappings, oldest first: values before and after, who, when, change set."""
    with errors_reported():
        settings = load_settings()
        with connect(settings, max_size=1) as db:
            entries = db.mapping_history(alias, match_type=match_type.strip().lower() if match_type else None)
        if not entries:
            console.print(f"no history for {alias!r}" + (f" ({match_type})" if match_type else ""), highlight=False)
            return
        console.print(history_table(alias, entries))


def imports(
    limit: Annotated[int, typer.Option(help="How many change sets, newest first.", min=1, max=100_000)] = 20,
) -> None:
    """List the recent change sets of the mappings: imports, reverts and other writes, with their counts."""
    with errors_reported():
        settings = load_settings()
        with connect(settings, max_size=1) as db:
            change_sets = db.mapping_change_sets(limit)
        if not change_sets:
            console.print("no change sets yet", highlight=False)
            return
        console.print(change_sets_table(change_sets))


def revert(
    change_set: Annotated[int, typer.Argument(metavar="ID", help="The change set (see `mappings imports`).")],
    force: Annotated[
        bool,
        typer.Option("--force", help="Restore the rows even where later change sets changed them since."),
    ] = False,
) -> None:
    """Undo a change set, all or nothing: its inserted rows go, its overwritten and deleted rows come back.

    Refused (exit 1, naming the rows) when later change sets changed the same rows, unless --force."""
    with errors_reported():
        settings = load_settings()
        with connect(settings, max_size=1) as db:
            done = db.revert_mapping_change_set(change_set, force=force)
        console.print(
            f"change set {change_set} reverted as change set {done.id}: {done.inserted} inserted, "
            f"{done.updated} updated, {done.deleted} deleted",
            highlight=False,
        )


def register_history_commands(mappings_app: typer.Typer) -> None:
    """Add ``history``, ``imports`` and ``revert`` to the ``mappings`` command group."""
    mappings_app.command("history")(history)
    mappings_app.command("imports")(imports)
    mappings_app.command("revert")(revert)
