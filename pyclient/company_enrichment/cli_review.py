"""``company-enrichment review``: the lookups waiting for a person, and their decisions.

EQC answered these names, but no candidate scored ``auto_accept_confidence``, so the database learned nothing and
keeps the request under review (``enterprise.lookup_review``). A person lists them, and accepts one candidate or
rejects them all, one at a time or in bulk from the exported CSV file (the CSV round trip: ``review list --csv``,
fill in the ``decision`` column, ``review apply``).

Exit codes as for every command (:mod:`.cli_common`); ``review apply`` exits 2 when the decisions file is wrong
(every bad line is named and nothing is written).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Final

import typer
from rich.table import Table

from .cli_common import HELP_SETTINGS, connect, console, err_console, errors_reported, print_database_error
from .csvio import CsvTable, open_table, write_atomically
from .db import EnrichmentDB
from .errors import DecisionFailedError, InputError
from .models import ReviewDecision, ReviewItem
from .settings import load_settings

__all__ = ["EXPORT_COLUMNS", "review_app"]

review_app = typer.Typer(
    help="Lookups waiting for a person: EQC answered, but no candidate was sure enough to be learned.",
    no_args_is_help=True,
    rich_markup_mode=None,
    context_settings=HELP_SETTINGS,
)

#: One row per candidate; people fill in ``decision`` (accept on one row of a request, or reject) and apply it.
EXPORT_COLUMNS: Final = [
    "request_id",
    "name",
    "rank",
    "company_id",
    "full_name",
    "unite_code",
    "eqc_type",
    "confidence",
    "decision",
]
ACCEPT: Final = "accept"
REJECT: Final = "reject"
_PAGE: Final = 1000


def _confidence(value: Decimal | None, missing: str) -> str:
    return missing if value is None else f"{value:.2f}"


def _under_review(db: EnrichmentDB) -> list[ReviewItem]:
    """Every request under review, oldest (lowest request id) first, read page by page."""
    items: list[ReviewItem] = []
    while page := db.lookup_review(after=items[-1].request_id if items else None, limit=_PAGE):
        items.extend(page)
        if len(page) < _PAGE:
            break
    return items


# ---------------------------------------------------------------------------------------------------- list


@review_app.command("list")
def list_reviews(
    csv_file: Annotated[
        Path | None,
        typer.Option("--csv", metavar="FILE", help="Write one row per candidate, with an empty decision column."),
    ] = None,
) -> None:
    """Show the requests under review, oldest first, with their candidates best first."""
    with errors_reported():
        settings = load_settings()
        with connect(settings, max_size=1) as db:
            items = _under_review(db)
        candidates = sum(len(item.candidates) for item in items)
        if csv_file is not None:
            with write_atomically(csv_file) as writer:
                writer.writerow(EXPORT_COLUMNS)
                for item in items:
                    for rank, c in enumerate(item.candidates, start=1):
                        writer.writerow(
                            [
                                item.request_id,
                                item.name,
                                rank,
                                c.company_id,
                                c.full_name or "",
                                c.unite_code or "",
                                c.eqc_type or "",
                                _confidence(c.confidence, ""),
                                "",
                            ]
                        )
            console.print(
                f"wrote {csv_file}: {candidates} candidate(s) of {len(items)} request(s) under review. Write "
                f"'{ACCEPT}' on the row of the right company, or '{REJECT}' when none is right, then run: "
                f"company-enrichment review apply {csv_file}",
                highlight=False,
            )
            return
        if not items:
            console.print("no lookup requests are under review")
            return
        console.print(_review_table(items))
        console.print(f"{len(items)} request(s) under review, {candidates} candidate(s)", highlight=False)


def _review_table(items: list[ReviewItem]) -> Table:
    table = Table(title="lookup requests under review (oldest first; candidates best first)")
    for column, justify in (
        ("request", "right"),
        ("name", "left"),
        ("#", "right"),
        ("company_id", "left"),
        ("full name", "left"),
        ("unite_code", "left"),
        ("EQC type", "left"),
        ("confidence", "right"),
    ):
        table.add_column(column, justify=justify, overflow="fold")  # type: ignore[arg-type]  # ids never cut short
    for item in items:
        for rank, c in enumerate(item.candidates, start=1):
            first = rank == 1
            table.add_row(
                str(item.request_id) if first else "",
                item.name if first else "",
                str(rank),
                c.company_id,
                c.full_name or "",
                c.unite_code or "",
                c.eqc_type or "-",
                _confidence(c.confidence, "-"),
                end_section=rank == len(item.candidates),
            )
    return table


# ------------------------------------------------------------------------------------------ accept, reject


@review_app.command("accept")
def accept(
    request_id: Annotated[int, typer.Argument(help="The request under review (review list).")],
    company_id: Annotated[str, typer.Argument(help="The company the name means: one of its candidates.")],
    force: Annotated[
        bool, typer.Option("--force", help="Accept a company that is not one of the request's candidates.")
    ] = False,
) -> None:
    """Accept one company for a request under review: the name is learned and resolves to it from now on."""
    with errors_reported():
        with connect(load_settings(), max_size=1) as db:
            row = db.accept_lookup_candidate(request_id, company_id, force=force)
        official = f" ({row.official_name})" if row.official_name else ""
        console.print(
            f"request {row.id} '{row.name}': accepted {row.company_id}{official}; the name resolves to it from now on",
            highlight=False,
        )


@review_app.command("reject")
def reject(request_id: Annotated[int, typer.Argument(help="The request under review (review list).")]) -> None:
    """Reject every candidate of a request under review: settled as not found, the name gets a TEMP id."""
    with errors_reported():
        with connect(load_settings(), max_size=1) as db:
            row = db.reject_lookup(request_id)
        console.print(
            f"request {row.id} '{row.name}': rejected; settled as not found, the name resolves to a TEMP id",
            highlight=False,
        )


# --------------------------------------------------------------------------------------------------- apply


@dataclass
class _Request:
    """The decisions the file holds for one request, with their lines."""

    accepts: list[tuple[int, str]] = field(default_factory=list)  # (line, company_id)
    rejects: list[int] = field(default_factory=list)  # lines

    def lines(self) -> list[int]:
        return sorted([line for line, _ in self.accepts] + self.rejects)


@dataclass
class _Decisions:
    by_request: dict[int, _Request]
    problems: list[tuple[int, str]]  # (first line, what is wrong)
    ignored: int  # rows without a decision


def _lines(lines: list[int]) -> str:
    return ("line " if len(lines) == 1 else "lines ") + ", ".join(map(str, lines))


def _read_decisions(table: CsvTable) -> _Decisions:
    """Every decision of the file, and what is wrong with it on its own or within its request."""
    rid, cid, dec = (table.index_of(c) for c in ("request_id", "company_id", "decision"))
    by_request: dict[int, _Request] = defaultdict(_Request)
    problems: list[tuple[int, str]] = []
    ignored = 0
    for line, row in table.rows(skip_blank=True):
        word = row[dec].strip().lower()
        if not word:
            ignored += 1
            continue
        if word not in (ACCEPT, REJECT):
            problems.append(
                (
                    line,
                    f"line {line}: unknown decision {row[dec].strip()!r}: write {ACCEPT}, {REJECT} or leave it empty",
                )
            )
            continue
        try:
            request_id = int(row[rid].strip())
        except ValueError:
            problems.append((line, f"line {line}: request_id {row[rid].strip()!r} is not a number"))
            continue
        if word == REJECT:
            by_request[request_id].rejects.append(line)
        elif not row[cid].strip():
            problems.append((line, f"line {line}: {ACCEPT} without a company_id"))
        else:
            by_request[request_id].accepts.append((line, row[cid].strip()))
    for request_id, request in by_request.items():
        lines = request.lines()
        if len(request.accepts) > 1:
            problems.append(
                (
                    lines[0],
                    f"{_lines(lines)}: request {request_id} is accepted {len(request.accepts)} times: "
                    "accept exactly one candidate",
                )
            )
        elif request.accepts and request.rejects:
            problems.append(
                (
                    lines[0],
                    f"{_lines(lines)}: request {request_id} is both accepted and rejected: accept one "
                    "candidate or reject the request",
                )
            )
    return _Decisions(dict(by_request), problems, ignored)


def _check_against_database(decisions: _Decisions, items: list[ReviewItem]) -> None:
    """Requests no longer (or never) under review, and accepted companies that are not candidates."""
    under_review = {item.request_id: item for item in items}
    for request_id, request in decisions.by_request.items():
        item = under_review.get(request_id)
        lines = request.lines()
        if item is None:
            decisions.problems.append(
                (
                    lines[0],
                    f"{_lines(lines)}: request {request_id} is not under review (decided already, or no "
                    "such request): export the file again with review list --csv",
                )
            )
            continue
        candidates = [c.company_id for c in item.candidates]
        for line, company_id in request.accepts:
            if company_id not in candidates:
                decisions.problems.append(
                    (
                        line,
                        f"line {line}: company {company_id} is not one of request {request_id}'s candidates "
                        f"({', '.join(candidates)}); to map the name to another company use "
                        f"review accept {request_id} {company_id} --force",
                    )
                )


@review_app.command("apply")
def apply(
    file: Annotated[Path, typer.Argument(metavar="FILE.csv", help="A review list --csv file with decisions.")],
) -> None:
    """Apply the decisions of an exported file, all or nothing, in one transaction.

    Per request: one row with decision 'accept' (its company_id is learned), or rows with 'reject'; rows with an
    empty decision are ignored. The whole file is checked first: if any line is wrong, each is named and nothing
    is written (exit 2).
    """
    with errors_reported():
        settings = load_settings()
        try:
            decisions = _read_decisions(open_table(file, all_of=("request_id", "company_id", "decision")))
        except InputError as exc:
            err_console.print(f"[bold red]error:[/] {file}: {exc}; nothing was applied", highlight=False)
            raise typer.Exit(2) from None
        with connect(settings, max_size=1) as db:
            _check_against_database(decisions, db.lookup_review_items(sorted(decisions.by_request)))
            if decisions.problems:
                for _, problem in sorted(decisions.problems):
                    err_console.print(f"[bold red]error:[/] {problem}", highlight=False)
                err_console.print(f"{file}: {len(decisions.problems)} problem(s); nothing was applied", highlight=False)
                raise typer.Exit(2)
            ordered = sorted(decisions.by_request.items())  # request id order: concurrent files lock in one order
            batch = [
                ReviewDecision(request_id=rid, company_id=r.accepts[0][1] if r.accepts else None) for rid, r in ordered
            ]
            try:
                db.decide_reviews(batch)
            except DecisionFailedError as exc:
                request_id, request = ordered[exc.position]
                print_database_error(exc.error, prefix=f"{_lines(request.lines())}: request {request_id}: ")
                err_console.print(
                    f"{file}: nothing was applied (the file is applied in one transaction, rolled back); "
                    "export it again with review list --csv",
                    highlight=False,
                )
                raise typer.Exit(1) from None
        accepted = sum(1 for d in batch if d.company_id is not None)
        console.print(
            f"{file.name}: {accepted} accepted, {len(batch) - accepted} rejected "
            f"({decisions.ignored} row(s) without a decision ignored)",
            highlight=False,
        )
