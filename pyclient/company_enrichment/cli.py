"""The ``company-enrichment`` command line: resolve files, run the queue worker, show the queue, load mappings,
serve the EQC stand-in; ``review`` (lookups waiting for a person) lives in :mod:`.cli_review`.

Exit codes: 0 success; 1 a database or input error (message, detail and hint printed); 2 bad usage (an option
naming a column the file lacks, an output path that cannot be written, a number out of range) or configuration, or
a decisions file that ``review apply`` refuses (every bad line named, nothing written); 3 EQC refused the token
(worker).
"""

from __future__ import annotations

import logging
import os
import re
import signal
import threading
from collections import Counter, deque
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, ExitStack
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from .cli_common import HELP_SETTINGS, connect, console, err_console, errors_reported
from .cli_explain import explain
from .cli_history import register_history_commands
from .cli_ops import metrics_server, notice, own_logging, register_options
from .cli_review import review_app
from .columns import RecordColumns, ResultRow
from .csvio import CsvTable, RowWriter, normalize_encoding, open_table, require_columns, write_atomically
from .db import EnrichmentDB
from .eqc import EQCClient, EQCConfigurationError, EQCObserver
from .errors import ConfigurationError, DatabaseError, InputError, UsageError
from .excelio import EXCEL_SUFFIXES, open_excel, write_excel_atomically
from .gcpause import cyclic_gc_paused
from .models import MappingRow, ReplicaStats, ResolutionStatus
from .parquetio import PARQUET_SUFFIXES, open_parquet, write_parquet_atomically
from .ratelimit import DatabaseRateLimiter
from .replicas import ReplicaRouter, replicas_from_settings
from .service import MAX_JOBS, CompanyEnrichmentService, default_worker_name
from .settings import Settings, load_settings
from .web.command import web
from .worker import WorkerMonitor, run_worker

__all__ = ["app"]

app = typer.Typer(
    name="company-enrichment",
    help="Resolve pipeline records to a unified company_id (settings: WDH_* environment variables).",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode=None,  # click's help: flags without a <bool> metavar, option names never cut
    context_settings=HELP_SETTINGS,
)
mappings_app = typer.Typer(
    help="Curated mappings.", no_args_is_help=True, rich_markup_mode=None, context_settings=HELP_SETTINGS
)
app.add_typer(mappings_app, name="mappings")
app.add_typer(review_app, name="review")
app.command("web", context_settings=HELP_SETTINGS)(web)
app.command()(explain)
register_history_commands(mappings_app)
register_options(app)

RESULT_COLUMNS = ["company_id", "status", "source", "match_type", "temp_id", "request_id"]
PROFILE_COLUMNS = ["full_name", "unite_code"]
#: The longest lookup key the SQL API looks up (and caches); a longer name's record gets a TEMP id.
MAX_KEY_LENGTH = 255


# ----------------------------------------------------------------------------------------------- helpers


def _eqc_client(settings: Settings, db: EnrichmentDB, *, observer: EQCObserver | None = None) -> EQCClient | None:
    if not settings.company_enrichment_enabled:
        return None
    if settings.eqc_token is None or not settings.eqc_token.get_secret_value().strip():
        err_console.print("[yellow]WDH_EQC_TOKEN is not set: no EQC lookups will be made[/]")
        return None
    try:
        return EQCClient(
            settings.eqc_base_url,
            settings.eqc_token,
            timeout=settings.eqc_timeout,
            rate_limit_per_minute=settings.eqc_rate_limit,
            retry_max=settings.eqc_retry_max,
            rate_limiter=DatabaseRateLimiter(db, settings.eqc_rate_limit),
            observer=observer,
        )
    except EQCConfigurationError as exc:
        variable = "WDH_EQC_TOKEN" if exc.setting == "token" else "WDH_EQC_BASE_URL"
        raise ConfigurationError(f"{variable} is invalid: {exc}") from None


def _service(
    settings: Settings,
    db: EnrichmentDB,
    eqc: EQCClient | None,
    *,
    budget: int,
    worker: str | None = None,
    threads: int = 1,
    on_settled: Callable[[float], None] | None = None,
    replicas: ReplicaRouter | None = None,
) -> CompanyEnrichmentService:
    return CompanyEnrichmentService(
        db,
        eqc,
        sync_lookup_budget=budget,
        worker_name=worker,
        batch_size=settings.lookup_queue_batch_size,
        lookup_retry_max=settings.lookup_retry_max,
        lookup_retry_delay=timedelta(seconds=settings.lookup_retry_delay),
        enabled=settings.company_enrichment_enabled,
        # Each worker thread gets its share of the EQC rate: it claims no more than it can look up in a lease.
        eqc_rate_per_minute=settings.eqc_rate_limit / threads,
        on_settled=on_settled,
        replicas=replicas,
    )


def _replica_line(stats: ReplicaStats) -> str:
    """Where the records were answered: `resolve`'s last line when standbys are configured."""
    return (
        f"standbys: {stats.batches_on_replica} of {stats.batches} batches read on a standby"
        f" ({stats.batches_replica_behind} waited in vain for one to catch up, {stats.batches_no_replica} found none"
        f" usable); {stats.records_to_primary} of {stats.records} records ({stats.primary_share:.1%}) reached the"
        " primary"
    )


def _summary_table(title: str, counts: Counter[str]) -> Table:
    table = Table(title=title)
    table.add_column("status")
    table.add_column("records", justify="right")
    for status in ResolutionStatus:
        table.add_row(status.value, str(counts.get(status.value, 0)))
    table.add_row("[bold]total[/]", f"[bold]{sum(counts.values())}[/]")
    return table


# ----------------------------------------------------------------------------------------------- resolve


#: The record fields, each with the option that names its column and the column's default name.
RECORD_COLUMNS = (
    ("plan_code", "--plan-code-column"),
    ("customer_name", "--customer-name-column"),
    ("account_name", "--account-name-column"),
    ("account_number", "--account-number-column"),
)


@app.command()
def resolve(
    input_csv: Annotated[
        Path,
        typer.Argument(
            metavar="INPUT.csv",
            help="Records to resolve: CSV, Excel (.xlsx/.xls/.xlsm, extra [excel]) or Parquet (.parquet, extra "
            "[parquet]).",
        ),
    ],
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Where to write (default: INPUT.resolved.csv).")
    ] = None,
    budget: Annotated[
        int | None,
        typer.Option(help="Inline EQC lookups for this run (default WDH_COMPANY_SYNC_LOOKUP_LIMIT).", min=0),
    ] = None,
    batch_size: Annotated[int, typer.Option(help="Records per SQL call.", min=1, max=100_000)] = 5_000,
    plan_code_column: Annotated[str | None, typer.Option(help="Column of the plan code (default plan_code).")] = None,
    customer_name_column: Annotated[
        str | None, typer.Option(help="Column of the customer name (default customer_name).")
    ] = None,
    account_name_column: Annotated[
        str | None, typer.Option(help="Column of the account name (default account_name).")
    ] = None,
    account_number_column: Annotated[
        str | None, typer.Option(help="Column of the account number (default account_number).")
    ] = None,
    plan_only: Annotated[
        bool, typer.Option("--plan-only", help="Report what resolution would give; write nothing anywhere.")
    ] = False,
    with_profile: Annotated[
        bool,
        typer.Option(
            "--with-profile",
            help="Also write full_name and unite_code: what EQC said about each company_id (empty when unknown).",
        ),
    ] = False,
    jobs: Annotated[
        int,
        typer.Option(
            help=f"Batches resolved at once, each on its own database connection (1..{MAX_JOBS}); the output is "
            "the same for any value."
        ),
    ] = 1,
    encoding: Annotated[
        str | None,
        typer.Option(
            help="The input's encoding: utf-8, gb18030 or gbk (any case; gbk is read as gb18030, its superset). "
            "Default: the one a byte-order mark names, else utf-8."
        ),
    ] = None,
    sheet: Annotated[
        str | None,
        typer.Option(
            help="Excel input: the sheet to read, by name or 0-based index (default the first). Its header is the "
            "first row with a non-empty cell."
        ),
    ] = None,
    output_encoding: Annotated[
        str | None,
        typer.Option(
            help="The output's encoding (utf-8, gb18030 or gbk); default: the input's. Written without a byte-order "
            "mark."
        ),
    ] = None,
) -> None:
    """Resolve every record of a CSV file; write it back with company_id, status, source, match_type, temp_id,
    request_id."""
    with errors_reported():
        if not 1 <= jobs <= MAX_JOBS:
            raise UsageError(f"--jobs must be between 1 and {MAX_JOBS} (connections used at once), got {jobs}")
        out_codec = None
        for option, name in (("--encoding", encoding), ("--output-encoding", output_encoding)):
            try:
                codec = None if name is None else normalize_encoding(name)
            except ValueError as exc:
                raise UsageError(f"{option}: {exc}") from None
            if option == "--output-encoding":
                out_codec = codec
        settings = load_settings()
        excel = input_csv.suffix.lower() in EXCEL_SUFFIXES
        parquet = input_csv.suffix.lower() in PARQUET_SUFFIXES
        if encoding is not None and (excel or parquet):
            raise UsageError(f"--encoding: {input_csv.name} is not a CSV file (only CSV files have an encoding)")
        if sheet is not None and not excel:
            raise UsageError(f"--sheet: {input_csv.name} is not an Excel file ({', '.join(EXCEL_SUFFIXES)})")
        table: CsvTable = (
            open_excel(input_csv, sheet=sheet)
            if excel
            else open_parquet(input_csv)
            if parquet
            else open_table(
                input_csv,
                encoding=encoding,
                encoding_hint="give --encoding gb18030 if it is a GB18030/GBK file, or save it as UTF-8",
            )
        )
        columns = _record_columns(
            table, (plan_code_column, customer_name_column, account_name_column, account_number_column)
        )
        total = table.count_rows()  # a malformed file fails here, before anything is written
        target = output or input_csv.with_suffix(
            ".resolved.xlsx" if excel else ".resolved.parquet" if parquet else ".resolved.csv"
        )
        if not plan_only:
            _check_output(target, "-o" if output else "the output file")
        # One connection per job, one for the inline lookups and the checks between batches.
        with connect(settings, max_size=max(8, jobs + 2)) as db, ExitStack() as standbys:
            eqc = None if plan_only else _eqc_client(settings, db)
            replicas = replicas_from_settings(settings, pool_max_size=jobs + 1)
            if replicas is not None:
                standbys.enter_context(replicas)
            service = _service(
                settings,
                db,
                eqc,
                budget=settings.company_sync_lookup_limit if budget is None else budget,
                replicas=replicas,
            )
            writer = _ResultWriter(db, with_profile=with_profile)
            counts, too_long = _resolve_file(
                table,
                columns,
                None if plan_only else target,
                total,
                batch_size,
                service,
                writer,
                jobs=jobs,
                encoding=out_codec or table.encoding,
            )
            if eqc is not None:
                eqc.close()
        title = "what resolution would give (plan only)" if plan_only else f"resolved {input_csv.name}"
        console.print(_summary_table(title, counts))
        console.print(_columns_line(columns), highlight=False)
        if too_long:
            names = "name" if too_long == 1 else "names"
            console.print(f"{too_long} {names} too long to look up: TEMP ids given", highlight=False)
        replica_stats = service.replica_stats
        if replica_stats is not None:
            console.print(_replica_line(replica_stats), highlight=False)
        if not plan_only:
            console.print(f"wrote {target}", highlight=False)


def _record_columns(table: CsvTable, chosen: Sequence[str | None]) -> list[str | None]:
    """The column of each record field: the one its option names (which the header must have), else the default
    name when the header has it, else None. UsageError for an option naming a column the file lacks."""
    columns: list[str | None] = []
    for (default, option), name in zip(RECORD_COLUMNS, chosen, strict=True):
        if name is not None and name not in table.header:
            raise UsageError(
                f"{option} {name!r}: {table.path.name} has no such column (its header: {', '.join(table.header)})"
            )
        column = name if name is not None else default
        columns.append(column if column in table.header else None)
    if not any(columns):
        require_columns(
            table, any_of=[default for default, _ in RECORD_COLUMNS], column_options=[o for _, o in RECORD_COLUMNS]
        )
    return columns


def _columns_line(columns: Sequence[str | None]) -> str:
    used = [c if c == field else f"{c} as {field}" for (field, _), c in zip(RECORD_COLUMNS, columns, strict=True) if c]
    absent = [field for (field, _), c in zip(RECORD_COLUMNS, columns, strict=True) if c is None]
    return f"columns used: {', '.join(used)}" + (f"; absent: {', '.join(absent)}" if absent else "")


def _check_output(target: Path, what: str) -> None:
    """UsageError unless ``target`` can be written, checked before any record is resolved."""
    if target.is_dir():
        raise UsageError(f"{what} {target} is a directory: give a file name")
    folder = target.parent
    if not folder.is_dir():
        raise UsageError(f"{what} {target}: the folder {folder} does not exist")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise UsageError(f"{what} {target}: the folder {folder} is not writable")


class _ResultWriter:
    """The result columns of each record: the resolution's, and with ``with_profile`` what EQC said about the
    company (company_profiles, once per chunk; TEMP ids and ids EQC never returned get empty cells)."""

    def __init__(self, db: EnrichmentDB, *, with_profile: bool) -> None:
        self.db = db
        self.columns = RESULT_COLUMNS + (PROFILE_COLUMNS if with_profile else [])
        self.with_profile = with_profile

    def rows(self, results: Sequence[ResultRow]) -> Sequence[Sequence[object]]:
        """The cells to append to each record (the csv writer writes None as an empty cell)."""
        if not self.with_profile:
            return results
        temp = ResolutionStatus.TEMP_ASSIGNED.value
        ids = {r[0] for r in results if r[0] and r[1] != temp}
        profiles = {p.company_id: p for p in self.db.company_profiles(sorted(ids))} if ids else {}
        out: list[list[object]] = []
        for r in results:
            profile = profiles.get(r[0] or "") if r[1] != temp else None
            out.append([*r, *((profile.full_name, profile.unite_code) if profile else ("", ""))])
        return out


def _too_long(names: Sequence[str | None], results: Sequence[ResultRow], db: EnrichmentDB) -> int:
    """How many records got a TEMP id because their customer name's key is over 255 characters (the SQL API never
    queues such a name). Each distinct name is normalized once, and only when its key could be that long: NFKC
    turns one character into at most 18, so a name of 14 characters or fewer never has a key over 255."""
    temp = ResolutionStatus.TEMP_ASSIGNED.value
    shortest = MAX_KEY_LENGTH // 18
    named = [n for n, r in zip(names, results, strict=True) if r[1] == temp and n is not None and len(n) > shortest]
    if not named:
        return 0
    distinct = sorted(set(named))
    long_names = {
        name
        for name, key in zip(distinct, db.normalize_names(distinct), strict=True)
        if key is not None and len(key) > MAX_KEY_LENGTH
    }
    return sum(1 for n in named if n in long_names) if long_names else 0


def _resolve_file(
    table: CsvTable,
    columns: Sequence[str | None],
    target: Path | None,
    total: int,
    batch_size: int,
    service: CompanyEnrichmentService,
    results_writer: _ResultWriter,
    *,
    jobs: int = 1,
    encoding: str = "utf-8",
) -> tuple[Counter[str], int]:
    """Resolve the table in batches, writing it to ``target`` (None: a plan-only run, which writes nothing).

    Returns the records by status and how many were given a TEMP id because their name's key is too long to look
    up (over 255 characters: the SQL API never queues such a name).

    The hot path stays columnar: each batch's fields go to the database as four columns and its answers come back
    as tuples appended to the input rows; ``jobs`` batches are resolved at once (service.resolve_batches), the next
    ones while this thread writes, and the answers are written in input order."""
    positions = [None if c is None else table.index_of(c) for c in columns]
    customer = positions[1]
    too_long = 0
    result_columns = results_writer.columns
    # Result columns replace input columns of the same name (a resolved file can be resolved again).
    replaced = [c for c in result_columns if c in table.header]
    if replaced and target is not None:
        err_console.print(
            f"[yellow]warning:[/] the input's column(s) {', '.join(replaced)} are replaced by the results",
            highlight=False,
        )
    kept = [i for i, column in enumerate(table.header) if column not in result_columns]
    whole_rows = kept == list(range(len(table.header)))
    counts: Counter[str] = Counter()
    # The rows of the batches handed to the service and not yet written (they get the result cells appended).
    raw_batches: deque[list[list[Any]]] = deque()

    def batches() -> Iterator[RecordColumns]:
        batch: list[list[Any]] = []
        for _, row in table.rows():
            batch.append(row)
            if len(batch) >= batch_size:
                raw_batches.append(batch)
                yield _batch_columns(batch, positions)
                batch = []
        if batch:
            raw_batches.append(batch)
            yield _batch_columns(batch, positions)

    with ExitStack() as stack:
        writer = None if target is None else stack.enter_context(_output_writer(target, table, encoding))
        if writer is not None:
            writer.writerow([table.header[i] for i in kept] + result_columns)
        progress = stack.enter_context(
            Progress(
                TextColumn("resolving"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), console=err_console
            )
        )
        task = progress.add_task("resolve", total=total)
        stack.enter_context(cyclic_gc_paused())
        for results in service.resolve_batches(batches(), jobs=jobs, preview=target is None):
            batch = raw_batches.popleft()
            counts.update(r[1] for r in results)
            if customer is not None:
                too_long += _too_long([row[customer] for row in batch], results, results_writer.db)
            if writer is not None:
                cells = results_writer.rows(results)
                if whole_rows:
                    for row, tail in zip(batch, cells, strict=True):
                        row.extend(tail)
                    writer.writerows(batch)
                else:
                    writer.writerows([[row[i] for i in kept] + [*tail] for row, tail in zip(batch, cells, strict=True)])
            progress.advance(task, len(batch))
    return counts, too_long


def _output_writer(target: Path, table: CsvTable, encoding: str) -> AbstractContextManager[RowWriter]:
    """An .xlsx writer when the target's name ends in .xlsx or .xlsm, a Parquet writer for .parquet or .pq, else a
    CSV writer (the input's line endings)."""
    if target.suffix.lower() in (".xlsx", ".xlsm"):
        return write_excel_atomically(target)
    if target.suffix.lower() in PARQUET_SUFFIXES:
        return write_parquet_atomically(target)
    return write_atomically(target, newline=table.newline, encoding=encoding)


def _batch_columns(batch: Sequence[Sequence[str]], positions: Sequence[int | None]) -> RecordColumns:
    """The record fields of a batch of CSV rows, column by column (None for a field the file lacks)."""
    plan, customer, account_name, account_number = (
        None if pos is None else [row[pos] for row in batch] for pos in positions
    )
    return RecordColumns(plan, customer, account_name, account_number)


# -------------------------------------------------------------------------------------------------- work


@app.command()
def work(
    once: Annotated[bool, typer.Option("--once", help="Drain what is due, then exit.")] = False,
    batch_size: Annotated[
        int | None, typer.Option(help="Requests claimed at a time, 1..500 (default WDH_LOOKUP_QUEUE_BATCH_SIZE).")
    ] = None,
    concurrency: Annotated[int, typer.Option(help="Worker threads.", min=1, max=64)] = 1,
    poll_interval: Annotated[float, typer.Option(help="Seconds between polls when no NOTIFY arrives.", min=0.1)] = 30.0,
    metrics_port: Annotated[
        int | None,
        typer.Option(help="Serve Prometheus /metrics, /healthz and /readyz on this port.", min=1, max=65535),
    ] = None,
    metrics_host: Annotated[str, typer.Option(help="Address the metrics port listens on.")] = "127.0.0.1",
) -> None:
    """Run the lookup-queue worker: claim requests, search EQC, settle them. SIGINT/SIGTERM stop it cleanly."""
    with errors_reported():
        settings = load_settings()
        size = batch_size or settings.lookup_queue_batch_size
        if not 1 <= size <= 500:
            raise ConfigurationError(f"--batch-size must be between 1 and 500, got {size}")
        stop = threading.Event()
        # The handler only records the signal; run_worker's watch loop (this thread) sets ``stop``. A handler that
        # set the event itself could land while this thread held the event's lock, and then wait for it forever.
        signalled: list[str] = []

        def on_signal(signum: int, _frame: object) -> None:
            name = signal.Signals(signum).name
            notice(f"[yellow]{name}: finishing the request in hand[/]", f"{name}: finishing the request in hand")
            signalled.append(name)

        if settings.database.transaction_pooling and not settings.database.listen_uri and not once:
            raise ConfigurationError(
                "WDH_DATABASE__TRANSACTION_POOLING is true but WDH_DATABASE__LISTEN_URI is not set: the worker's "
                "LISTEN needs a session of its own, which a pooler in transaction mode does not keep; set "
                "WDH_DATABASE__LISTEN_URI to a direct connection to PostgreSQL"
            )
        signal.signal(signal.SIGINT, on_signal)
        signal.signal(signal.SIGTERM, on_signal)
        with connect(settings, max_size=concurrency + 3) as db, ExitStack() as stack:
            if not once:
                db.check_listen()
            monitor = WorkerMonitor()
            metrics = None
            if metrics_port is not None:
                metrics = stack.enter_context(metrics_server(db, monitor, metrics_host, metrics_port))
            eqc = _eqc_client(settings, db, observer=metrics)
            if eqc is None:
                raise ConfigurationError(
                    "the worker needs EQC: set WDH_EQC_TOKEN (and WDH_COMPANY_ENRICHMENT_ENABLED=true)"
                )
            base = default_worker_name()
            on_settled = metrics.settled if metrics is not None else None
            result = run_worker(
                db,
                lambda i: _service(
                    settings, db, eqc, budget=0, worker=f"{base}:{i}", threads=concurrency, on_settled=on_settled
                ),
                once=once,
                batch_size=size,
                concurrency=concurrency,
                poll_interval=poll_interval,
                stop=stop,
                monitor=monitor,
                stop_requested=lambda: bool(signalled),
            )
            eqc.close()
        s = result.stats
        console.print(
            f"claimed {s.claimed}, found {s.found}, not_found {s.not_found}, retried {s.retried}, "
            f"failed {s.failed}, released {s.released}, lost {s.lost}, review {s.review}",
            highlight=False,
        )
        if result.auth_failed:
            advice = (
                " (401 or TokenExpired): held requests were released without spending an attempt; set a fresh "
                "WDH_EQC_TOKEN and start the worker again"
            )
            notice(f"[bold red]EQC refused the token[/]{advice}", f"EQC refused the token{advice}", level=logging.ERROR)
            raise typer.Exit(3)
        if result.errors:
            for error in result.errors:
                notice(
                    f"[bold red]worker stopped on an error:[/] {error}",
                    f"worker stopped on an error: {error}",
                    level=logging.ERROR,
                )
            raise typer.Exit(1)


# ------------------------------------------------------------------------------------------------ status


@app.command()
def status() -> None:
    """Show the lookup queue's health."""
    with errors_reported():
        settings = load_settings()
        with connect(settings, max_size=1) as db:
            stats = db.queue_stats()
        table = Table(title="lookup queue")
        table.add_column("measure")
        table.add_column("value", justify="right")
        for name, value in stats.model_dump().items():
            table.add_row(name, "-" if value is None else str(value))
        console.print(table)
        if stats.review:
            console.print(f"{stats.review} request(s) wait for a person: company-enrichment review list")


# ---------------------------------------------------------------------------------------------- mappings

_ROW_REF = re.compile(r"^rows? ([\d, ]+):")


MATCH_TYPES = ("plan", "account", "hardcode", "name", "account_name")


@mappings_app.command("import")
def import_mappings(
    file: Annotated[Path, typer.Argument(metavar="FILE.csv", help="Columns alias_name, canonical_id, match_type.")],
    alias_name_column: Annotated[str, typer.Option(help="Column of the alias.")] = "alias_name",
    canonical_id_column: Annotated[str, typer.Option(help="Column of the company id.")] = "canonical_id",
    match_type_column: Annotated[
        str, typer.Option(help=f"Column of the match type: {', '.join(MATCH_TYPES)} (any case).")
    ] = "match_type",
    replace_conflicting: Annotated[
        bool,
        typer.Option(
            "--replace-conflicting",
            help="Replace curated mappings already loaded that conflict with the file's rows (same kind and key, "
            "another alias and id) instead of refusing the file.",
        ),
    ] = False,
    label: Annotated[str | None, typer.Option(help="Label of the load's change set (default: the file name).")] = None,
) -> None:
    """Load curated mappings, all or nothing; a bad row is reported with its line number. The load is one change
    set (printed): `mappings history`, `mappings imports` and `mappings revert` show and undo it.

    match_type is one of plan, account, hardcode, name, account_name (case does not matter)."""
    with errors_reported():
        settings = load_settings()
        columns = (alias_name_column, canonical_id_column, match_type_column)
        table = open_table(
            file, all_of=columns, column_options=("--alias-name-column", "--canonical-id-column", "--match-type-column")
        )
        alias, canonical, kind = (table.index_of(c) for c in columns)
        rows: list[MappingRow] = []
        lines: list[int] = []
        for line, row in table.rows(skip_blank=True):
            match_type = row[kind].strip().lower()
            rows.append(MappingRow(alias_name=row[alias], canonical_id=row[canonical], match_type=match_type))
            lines.append(line)
        if not rows:
            raise InputError(f"{file.name}: the file has no mappings: no data row follows the header")
        with connect(settings, max_size=1) as db:
            try:
                result = db.upsert_internal_mappings(
                    rows, replace_conflicting=replace_conflicting, label=file.name if label is None else label
                )
            except DatabaseError as exc:
                raise _with_line_numbers(exc, lines) from None
        console.print(
            f"{file.name}: {result.inserted} inserted, {result.updated} updated, {result.unchanged} unchanged, "
            f"{result.replaced} replaced; change set {result.change_set}",
            highlight=False,
        )


def _with_line_numbers(exc: DatabaseError, lines: Sequence[int]) -> DatabaseError:
    """Turn the database's 'row N:' (1-based position in the load) into the file's line numbers."""
    if exc.detail and (match := _ROW_REF.match(exc.detail)):
        refs = [int(n) for n in match.group(1).replace(" ", "").split(",") if n]
        where = ", ".join(str(lines[r - 1]) for r in refs if 0 < r <= len(lines))
        label = "line" if len(refs) == 1 else "lines"
        exc.detail = f"{label} {where}:" + exc.detail[match.end() :]
    return exc


# ------------------------------------------------------------------------------------------- eqc-standin


@app.command("eqc-standin")
def eqc_standin(
    fixtures: Annotated[Path, typer.Option(help="JSON fixtures: token and companies.")],
    port: Annotated[int, typer.Option(help="Port on 127.0.0.1 (0 = any free port).", min=0, max=65535)] = 8765,
    host: Annotated[str, typer.Option(help="Loopback address to bind.")] = "127.0.0.1",
) -> None:
    """Serve EQC's protocol from a fixtures file on loopback, for tests and demos."""
    from .standin import serve

    try:
        serve(fixtures, host=host, port=port)
    except (ValueError, OSError) as exc:
        err_console.print(f"[bold red]error:[/] {exc}", highlight=False)
        raise typer.Exit(2) from None


def main() -> None:
    """The console script: logging is configured by the options (--log-format, WDH_LOG_LEVEL), then the command."""
    own_logging()
    app()
