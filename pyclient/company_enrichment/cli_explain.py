"""``company-enrichment explain``: why a record gets its company id.

One row per step of the resolution order (``enterprise.explain_company_id``): the key tried, whether a mapping,
request or TEMP id was found for it, and the step that gave the answer, which is exactly what ``resolve --plan-only``
(``preview_company_ids``) gives. Nothing is written: no request is queued and no TEMP id assigned.

Exit codes as for every command (:mod:`.cli_common`); 2 when no field of the record is given.
"""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from .cli_common import connect, console, errors_reported
from .errors import UsageError
from .models import CompanyRecord, ExplainStep
from .settings import load_settings

__all__ = ["explain"]


def explain(
    customer_name: Annotated[str | None, typer.Option(help="The record's customer name.")] = None,
    plan_code: Annotated[str | None, typer.Option(help="The record's plan code.")] = None,
    account_name: Annotated[str | None, typer.Option(help="The record's account name.")] = None,
    account_number: Annotated[str | None, typer.Option(help="The record's account number.")] = None,
) -> None:
    """Why a record gets its company id: each step of the resolution order, and which one answered. Writes
    nothing."""
    with errors_reported():
        record = CompanyRecord(
            plan_code=plan_code, customer_name=customer_name, account_name=account_name, account_number=account_number
        )
        if all(value is None for value in record.model_dump().values()):
            raise UsageError("give at least one of --customer-name, --plan-code, --account-name, --account-number")
        with connect(load_settings(), max_size=1) as db:
            steps = db.explain_company_id(record)
        console.print(explain_table(steps))
        console.print(answer_line(steps), highlight=False)


def _found(step: ExplainStep) -> str:
    """What the step found: the mapping row, the lookup request, or the TEMP id."""
    if step.canonical_id is not None:
        confidence = "-" if step.confidence is None else f"{step.confidence:.2f}"
        updated = "" if step.updated_at is None else f", updated {step.updated_at:%Y-%m-%d %H:%M}"
        return f"{step.alias_name} -> {step.canonical_id} ({step.source}, confidence {confidence}{updated})"
    parts: list[str] = []
    if step.request_id is not None:
        outcome = f" {step.request_outcome}" if step.request_outcome else ""
        parts.append(f"request {step.request_id}: {step.request_status}{outcome}, {step.attempts} attempt(s)")
        if step.last_error:
            parts.append(f"last error: {step.last_error}")
    if step.temp_id is not None:
        parts.append(step.temp_id)
    return "; ".join(parts)


def explain_table(steps: list[ExplainStep]) -> Table:
    table = Table(title="why this id? (the resolution order, first step that answers wins)")
    for column, justify in (
        ("#", "right"),
        ("step", "left"),
        ("key", "left"),
        ("hit", "left"),
        ("found", "left"),
        ("answer", "left"),
        ("note", "left"),
    ):
        table.add_column(column, justify=justify, overflow="fold")  # type: ignore[arg-type]  # keys never cut short
    for step in steps:
        answer = ""
        if step.answered:
            answer = f"{step.company_id or '(none yet)'} {step.status.value if step.status else ''}".rstrip()
        table.add_row(
            str(step.step),
            step.kind,
            "-" if step.lookup_key is None else step.lookup_key,
            "yes" if step.hit else "no",
            _found(step),
            answer,
            step.note,
            style="bold green" if step.answered else None,
        )
    return table


def answer_line(steps: list[ExplainStep]) -> str:
    """One sentence: the answer and the step that gave it."""
    answered = next(step for step in steps if step.answered)
    status = answered.status.value if answered.status else "?"
    if answered.company_id is not None:
        what = answered.company_id
    elif answered.kind == "queue":
        what = "no id yet (waiting for an EQC lookup)"
    else:
        what = "a new TEMP id"
    return f"answer: {what}, {status}, from step {answered.step} ({answered.kind})"
