"""Resolution split across connections (``resolve --jobs N``, ``resolve_batch(..., jobs=N)``, the Dagster op's
``jobs``) gives exactly the one-connection answers, in input order; concurrent chunks that share names and TEMP keys
neither deadlock nor mint two TEMP ids for one key nor queue a name twice. Also the packed transfer of a batch
(``EnrichmentDB.resolve_rows``) against the text[] path, on values that cannot be packed."""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from cli_support import read_rows, runner, write
from company_enrichment.cli import app
from company_enrichment.columns import RecordColumns, to_result
from company_enrichment.db import EnrichmentDB, _pack
from company_enrichment.models import CompanyRecord, MappingRow
from company_enrichment.service import CompanyEnrichmentService
from company_enrichment.standin import EQCStandin

LONG = "长" * 300  # a key over 255 characters: never queued, a TEMP id keyed on the name


@pytest.fixture
def standin(tag: str) -> Iterator[EQCStandin]:
    companies = [
        {
            "companyId": f"6{70000000 + 10 * n + i}",
            "companyFullName": f"{tag}{suffix}并行{i}有限公司",
            "unite_code": None,
        }
        for n, suffix in enumerate("ab")
        for i in range(1, 4)
    ]
    with EQCStandin({"token": "jobs-token", "companies": companies}).start() as server:
        yield server


@pytest.fixture
def db(db_uri: str) -> Iterator[EnrichmentDB]:
    with EnrichmentDB.connect(db_uri, max_size=8) as database:
        yield database


def _overlapping(tag: str, count: int, *, seed: int = 7) -> list[dict[str, str]]:
    """Records whose names and TEMP keys repeat all over the input, so that concurrent chunks share them: unknown
    names (some decorated: the same key), names too long to look up (TEMP keyed on the name), unknown plan codes
    without a name (TEMP keyed on the record), and curated hits. Every record has a field (a record without any
    gets a fresh TEMP id on every run, by design)."""
    rng = random.Random(seed)
    rows = []
    for _ in range(count):
        k = rng.randrange(12)
        match rng.randrange(5):
            case 0:
                rows.append({"plan_code": "", "customer_name": f"{tag}无名{k}有限公司"})
            case 1:
                rows.append({"plan_code": "", "customer_name": f" {tag}无名{k}有限公司（已转出）"})
            case 2:
                rows.append({"plan_code": "", "customer_name": f"{tag}{k}{LONG}"})
            case 3:
                rows.append({"plan_code": f"{tag}-NOPLAN-{k}", "customer_name": ""})
            case _:
                rows.append({"plan_code": f"{tag}-P", "customer_name": "n/a"})
    return rows


def _csv(path: Path, rows: list[dict[str, str]]) -> Path:
    lines = ["plan_code,customer_name"] + [f"{r['plan_code']},{r['customer_name']}" for r in rows]
    return write(path, "\n".join(lines) + "\n")


def _load_plan(db_uri: str, tag: str) -> None:
    with EnrichmentDB.connect(db_uri, max_size=1) as db:
        db.upsert_internal_mappings([MappingRow(alias_name=f"{tag}-P", canonical_id="633333333", match_type="plan")])


def _one_temp_id_per_key(rows: list[dict[str, str]]) -> dict[str, str]:
    ids: dict[str, set[str]] = defaultdict(set)
    for row in rows:
        if row["status"] == "temp_assigned":
            key = row["plan_code"] if not row["customer_name"] else row["customer_name"]
            ids[key].add(row["temp_id"])
    assert ids, "the input gives TEMP ids"
    assert all(len(v) == 1 for v in ids.values()), {k: v for k, v in ids.items() if len(v) > 1}
    assert len({next(iter(v)) for v in ids.values()}) == len(ids), "two keys share a TEMP id"
    return {k: next(iter(v)) for k, v in ids.items()}


def _queued_per_key(db_uri: str, tag: str) -> list[int]:
    with psycopg.connect(db_uri) as conn:
        rows = conn.execute(
            "SELECT count(*) FROM enterprise.lookup_requests WHERE name LIKE %s GROUP BY normalized_name",
            (f"%{tag}%",),
        ).fetchall()
    return [int(r[0]) for r in rows]


# -------------------------------------------------------------------------------------------- command line


def test_resolve_jobs_writes_the_one_connection_file_byte_for_byte(
    env: dict[str, str], tmp_path: Path, tag: str, empty_queue: None
) -> None:
    _load_plan(env["WDH_DATABASE__URI"], tag)
    records = _csv(tmp_path / "in.csv", _overlapping(tag, 240))
    # First with 4 connections over chunks of 3 records: the keys are new, so concurrent chunks mint and queue them.
    parallel = tmp_path / "jobs4.csv"
    result = runner.invoke(
        app, ["resolve", str(records), "-o", str(parallel), "--jobs", "4", "--batch-size", "3", "--budget", "0"]
    )
    assert result.exit_code == 0, result.output
    rows = read_rows(parallel)
    assert len(rows) == 240
    assert [(r["plan_code"], r["customer_name"]) for r in rows] == [
        (r["plan_code"], r["customer_name"]) for r in read_rows(records)
    ], "input order kept"
    assert {r["status"] for r in rows} == {"success_internal", "pending_lookup", "temp_assigned"}
    temp_ids = _one_temp_id_per_key(rows)
    queued = _queued_per_key(env["WDH_DATABASE__URI"], tag)
    assert queued and set(queued) == {1}, "each name queued once"
    pending = {r["request_id"] for r in rows if r["status"] == "pending_lookup"}
    assert len(pending) == len(queued), "one request per key, the decorated spellings share it"
    # Then one connection, in small and in one big batch, and 2 connections: the same file, byte for byte.
    for n, options in enumerate((["--jobs", "1", "--batch-size", "3"], [], ["--jobs", "2", "--batch-size", "7"])):
        again = tmp_path / f"again{n}.csv"
        result = runner.invoke(app, ["resolve", str(records), "-o", str(again), "--budget", "0", *options])
        assert result.exit_code == 0, result.output
        assert again.read_bytes() == parallel.read_bytes(), options
    assert _one_temp_id_per_key(read_rows(parallel)) == temp_ids
    assert set(_queued_per_key(env["WDH_DATABASE__URI"], tag)) == {1}, "nothing queued twice"


def test_resolve_jobs_spends_the_inline_budget_as_one_connection_does(
    env: dict[str, str], standin: EQCStandin, tmp_path: Path, tag: str, empty_queue: None
) -> None:
    """Two fresh tags with the same shape, one run with --jobs 1 and one with --jobs 3 over chunks of 2: the inline
    lookups go to the same names in the same order, and a name settled inline in one chunk answers from the
    database in the later chunks that repeat it, whichever ran first."""
    outputs = []
    for jobs, suffix in (("1", "a"), ("3", "b")):
        t = f"{tag}{suffix}"
        names = [f"{t}并行1有限公司", f"{t}不知道", f"{t}并行2有限公司", f"{t}并行1有限公司", f"{t}不知道"]
        names += [f"{t}并行3有限公司", f"{t}并行2有限公司（已转出）", f"{t}不知道", f"{t}并行3有限公司"]
        records = write(tmp_path / f"in{suffix}.csv", "customer_name\n" + "\n".join(names) + "\n")
        out = tmp_path / f"out{suffix}.csv"
        options = ["--jobs", jobs, "--batch-size", "2", "--budget", "2"]
        result = runner.invoke(app, ["resolve", str(records), "-o", str(out), *options])
        assert result.exit_code == 0, result.output
        outputs.append([(r["status"], r["company_id"][-1:] if r["source"] == "EQC" else "") for r in read_rows(out)])
    assert outputs[0] == outputs[1]
    assert outputs[0][:5] == [
        ("success_external", "1"),  # budget 1 of 2
        ("temp_assigned", ""),  # EQC does not know it: budget 2 of 2
        ("pending_lookup", ""),  # budget spent
        ("success_external", "1"),  # settled in the first chunk
        ("temp_assigned", ""),  # settled (not found) in the first chunk
    ]
    assert standin.stats().search_requests == 4, "two searches a run"


@pytest.mark.parametrize("jobs", ["0", "-1", "33", "100000000000000000000"])
def test_resolve_refuses_a_bad_jobs_value_in_one_line(
    env: dict[str, str], tmp_path: Path, tag: str, empty_queue: None, jobs: str
) -> None:
    records = write(tmp_path / "in.csv", f"customer_name\n{tag}甲公司\n")
    result = runner.invoke(app, ["resolve", str(records), "--jobs", jobs])
    assert result.exit_code == 2, result.output
    assert result.output.strip() == f"error: --jobs must be between 1 and 32 (connections used at once), got {jobs}"
    assert not (tmp_path / "in.resolved.csv").exists()
    assert _queued_per_key(env["WDH_DATABASE__URI"], tag) == [], "nothing resolved"


# ------------------------------------------------------------------------------------------------ service


def test_resolve_batch_jobs_answers_as_one_call_and_mints_one_temp_id_per_key(
    db: EnrichmentDB, db_uri: str, tag: str, empty_queue: None
) -> None:
    """Many rounds of 4 connections over chunks of 5, every key in many chunks: no deadlock, one TEMP id per key,
    one request per name; then one call gives the same answers."""
    _load_plan(db_uri, tag)
    service = CompanyEnrichmentService(db, None)
    for round_ in range(4):
        t = f"{tag}r{round_}"
        rows = _overlapping(t, 300, seed=round_)
        records = [CompanyRecord(plan_code=r["plan_code"] or None, customer_name=r["customer_name"]) for r in rows]
        # First over chunks of 5 (the keys are new: concurrent chunks mint and queue them), then in 4 chunks.
        chunked = service.resolve_columns(RecordColumns.from_records(records), jobs=4, chunk_size=5)
        parallel = service.resolve_batch(records, jobs=4)
        single = service.resolve_batch(records)
        assert [to_result(row) for row in chunked] == parallel == single
        by_key: dict[tuple[str | None, str | None], set[str | None]] = defaultdict(set)
        for record, result in zip(records, single, strict=True):
            if result.status.value == "temp_assigned":
                by_key[(record.plan_code, record.customer_name)].add(result.temp_id)
        assert by_key and all(len(ids) == 1 for ids in by_key.values())
        assert set(_queued_per_key(db_uri, t)) == {1}


def test_resolve_batch_refuses_a_bad_jobs_value(db: EnrichmentDB) -> None:
    service = CompanyEnrichmentService(db, None)
    for jobs in (0, -1, 33, True):
        with pytest.raises(ValueError, match="jobs must be between 1 and 32"):
            service.resolve_batch([CompanyRecord(plan_code="x")], jobs=jobs)


# ------------------------------------------------------------------------------------------ packed transfer


def test_values_that_cannot_be_packed_take_the_array_path_with_the_same_answers(db: EnrichmentDB, tag: str) -> None:
    awkward = ["", None, f"{tag}a\x1fb", f"{tag}\x1e", "\x1e", f"{tag} 公司", "n/a"]
    assert _pack(awkward) is None and _pack(["\x1e"]) is None and _pack(["a\x1f"]) is None
    assert _pack(["a", None, ""]) == "a\x1f\x1e\x1f\x1e" and _pack([""]) == "\x1e"
    columns = RecordColumns(awkward, awkward[::-1], None, [None] * len(awkward))
    preview = db.resolve_rows(columns, preview=True)
    assert len(preview) == len(awkward)
    # One record at a time (each of them packs, or not) answers the same as the whole batch.
    for i in range(len(awkward)):
        assert db.resolve_rows(columns.slice(i, i + 1), preview=True) == [preview[i]]
    clean = RecordColumns([f"{tag}-x", None, ""], [None, "", f"{tag}公司"], None, None)
    assert db.resolve_rows(clean, preview=True) == [
        db.resolve_rows(clean.slice(i, i + 1), preview=True)[0] for i in range(3)
    ]


def test_empty_strings_are_sent_as_null_with_the_same_answers(db: EnrichmentDB, tag: str) -> None:
    """Every combination of absent, empty, blank and real fields: the packed path (empty strings sent as NULL)
    answers as the text[] path does with the empty strings sent as they are (the same TEMP id for the same record,
    written first by one path and found by the other), except records without any field (a fresh TEMP id each)."""
    import itertools

    choices = [(None, "", " ", f"{tag}-c{i}", "PL0000001" if i == 0 else f"{tag}名{i}公司") for i in range(4)]
    records = list(itertools.product(*choices))
    columns = RecordColumns(*([r[i] for r in records] for i in range(4)))
    awkward = RecordColumns(*([*column, "\x1e"] for column in columns.as_tuple() if column is not None))
    assert _pack(awkward.customer_names or []) is None
    arrays = db.resolve_rows(awkward)[:-1]  # one value that cannot be packed: every column goes as text[]
    packed = db.resolve_rows(columns)
    fieldless = [i for i, r in enumerate(records) if all(v is None or not v.strip() for v in r)]
    assert len(fieldless) == 3**4
    assert [row for i, row in enumerate(arrays) if i not in fieldless] == [
        row for i, row in enumerate(packed) if i not in fieldless
    ]
    assert all(arrays[i][1] == packed[i][1] == "temp_assigned" for i in fieldless)
    assert db.resolve_rows(awkward, preview=True)[:-1] == db.resolve_rows(columns, preview=True)
