"""The Dagster integration: jobs run in process against the real database and the EQC stand-in."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import dagster as dg
import psycopg
import pytest
from company_enrichment.dagster import (
    RESOURCE_KEY,
    CompanyEnrichmentResource,
    process_company_lookup_queue_job,
    process_company_lookup_queue_schedule,
    resolve_company_ids_op,
)
from company_enrichment.db import EnrichmentDB
from company_enrichment.eqc import EQCClient
from company_enrichment.models import MappingRow
from company_enrichment.standin import EQCStandin, Fault
from psycopg.conninfo import make_conninfo

STATUSES = ("success_internal", "success_external", "pending_lookup", "temp_assigned")


@dg.graph
def resolve_records_graph(records: Any) -> None:
    resolve_company_ids_op(records)


resolve_records_job = resolve_records_graph.to_job(name="resolve_records_job")


@dataclass
class World:
    db_uri: str
    standin: EQCStandin
    tag: str

    def company(self, i: int) -> str:
        """The full name of fixture company i (EQC knows it, id 69000000i)."""
        return f"{self.tag}号{i}科技有限公司"

    def unknown(self, i: int) -> str:
        return f"无人知晓{self.tag}号{i}贸易公司"

    def pinyin(self) -> str:
        """A name EQC matches by pinyin only: sent to review, never learned by the worker."""
        return f"{self.tag}品银科技有限公司"

    def resource(self, budget: int = 0, **fields: Any) -> CompanyEnrichmentResource:
        settings: dict[str, Any] = {
            "database_uri": self.db_uri,
            "eqc_base_url": self.standin.url,
            "eqc_token": self.standin.token,
            "eqc_rate_limit": 60_000,
            "eqc_retry_max": 0,
            "sync_lookup_budget": budget,
            "enabled": True,
            **fields,
        }
        return CompanyEnrichmentResource(**settings)

    def searches(self) -> int:
        return self.standin.stats().search_requests

    def sql(self, query: str, params: Sequence[Any] | Mapping[str, Any] = ()) -> list[tuple[Any, ...]]:
        with psycopg.connect(self.db_uri, autocommit=True) as conn:
            return conn.execute(query, params).fetchall()

    def load_mappings(self) -> None:
        with EnrichmentDB.connect(self.db_uri, max_size=1) as db:
            db.upsert_internal_mappings(
                [
                    MappingRow(alias_name=f"{self.tag}-PLAN", canonical_id="600000001", match_type="plan"),
                    MappingRow(alias_name=f"{self.tag}客户甲", canonical_id="600000002", match_type="name"),
                ]
            )

    def records(self) -> list[dict[str, Any]]:
        """Eleven records: two curated hits, EQC-known and unknown names, and rows without a customer name."""
        return [
            {"plan_code": f"{self.tag}-PLAN", "customer_name": "whoever"},  # curated plan
            {"customer_name": f"{self.tag}客户甲"},  # curated name
            {"customer_name": self.company(1)},  # EQC knows it (budget 1 of 3)
            {"customer_name": self.unknown(1)},  # EQC does not know it (budget 2 of 3)
            {"customer_name": self.company(2), "account_number": 12345},  # EQC knows it (budget 3 of 3)
            {"customer_name": f" {self.company(1)}（已转出）"},  # the same name as row 3: no second search
            {"customer_name": self.company(3)},  # budget spent: queued
            {"customer_name": self.unknown(2)},  # budget spent: queued
            {"plan_code": f"{self.tag}-NOPLAN", "account_number": f"{self.tag}-ACCT"},  # no name: keyed TEMP id
            {"customer_name": "n/a", "account_name": f"{self.tag}账户"},  # a placeholder is no name: keyed TEMP id
            {"customer_name": None, "note": "kept"},  # nothing at all: a fresh TEMP id
        ]

    def snapshot(self) -> tuple[Any, ...]:
        """What plan-only must leave alone: the queue, the TEMP assignments and the TEMP sequence, the mappings."""
        return self.sql(
            "SELECT (SELECT count(*) FROM enterprise.lookup_requests),"
            " (SELECT count(*) FROM enterprise.temp_id_assignments),"
            " (SELECT last_value FROM enterprise.temp_id_seq),"
            " (SELECT count(*) FROM enterprise.company_mapping)"
        )[0]

    def enqueue(self, names: Sequence[str]) -> None:
        for name in names:
            self.sql("SELECT enterprise.enqueue_lookup(name => %s)", (name,))

    def requests(self) -> dict[str, tuple[Any, ...]]:
        """normalized name -> (status, outcome, company_id, attempts, lease_owner) of the queue's rows."""
        rows = self.sql(
            "SELECT normalized_name, status, outcome, company_id, attempts, lease_owner FROM enterprise.lookup_requests"
        )
        return {row[0]: row[1:] for row in rows}

    def key(self, name: str) -> str:
        return str(self.sql("SELECT enterprise.normalize_name(%s)", (name,))[0][0])


@pytest.fixture
def world(db_uri: str, empty_queue: None, tag: str) -> Iterator[World]:
    companies = [
        {
            "companyId": f"6{90000000 + i}",
            "companyFullName": f"{tag}号{i}科技有限公司",
            "unite_code": f"9131{i:014d}",
        }
        for i in range(1, 6)
    ] + [{"companyId": "690000099", "companyFullName": f"{tag}拼音科技有限公司", "pinyin": [f"{tag}品银科技有限公司"]}]
    with EQCStandin({"token": f"tok-{uuid.uuid4().hex}", "companies": companies}).start() as standin:
        yield World(db_uri=db_uri, standin=standin, tag=tag)


def _resolve(
    world: World, resource: CompanyEnrichmentResource, records: Any, *, plan_only: bool = False, jobs: int = 1
) -> dg.ExecuteInProcessResult:
    config = {"plan_only": plan_only, "chunk_size": 4, "jobs": jobs}
    return resolve_records_job.execute_in_process(
        input_values={"records": records},
        resources={RESOURCE_KEY: resource},
        run_config={"ops": {"resolve_company_ids_op": {"config": config}}},
        raise_on_error=False,
    )


def _drain(
    resource: CompanyEnrichmentResource, instance: dg.DagsterInstance | None = None, **config: Any
) -> dg.ExecuteInProcessResult:
    return process_company_lookup_queue_job.execute_in_process(
        resources={RESOURCE_KEY: resource},
        run_config={"ops": {"process_lookup_queue_op": {"config": config}}},
        instance=instance,
        raise_on_error=False,
    )


def _metadata(result: dg.ExecuteInProcessResult, node: str) -> dict[str, Any]:
    """The output metadata of ``node``'s one output, as plain values."""
    outputs = [e for e in result.events_for_node(node) if e.event_type_value == "STEP_OUTPUT"]
    assert len(outputs) == 1
    return {key: value.value for key, value in outputs[0].step_output_data.metadata.items()}


def _failure(result: dg.ExecuteInProcessResult, node: str) -> tuple[str, dict[str, Any]]:
    data = result.failure_data_for_node(node)
    assert data is not None and data.user_failure_data is not None, "the step failed with a dagster.Failure"
    failure = data.user_failure_data
    return failure.description or "", {key: value.value for key, value in failure.metadata.items()}


@pytest.fixture
def closed(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Records each close of a pool or an EQC client, to check that the resource tears down what it built."""
    calls: list[str] = []
    db_close, eqc_close = EnrichmentDB.close, EQCClient.close

    def close_db(self: EnrichmentDB) -> None:
        calls.append("db")
        db_close(self)

    def close_eqc(self: EQCClient) -> None:
        calls.append("eqc")
        eqc_close(self)

    monkeypatch.setattr(EnrichmentDB, "close", close_db)
    monkeypatch.setattr(EQCClient, "close", close_eqc)
    return calls


# ------------------------------------------------------------------------------------------------ resolution


@pytest.mark.parametrize("jobs", [1, 3])
def test_resolve_op_given_a_pandas_frame_outputs_one_with_the_records_answers(world: World, jobs: int) -> None:
    """The same eleven records as a pandas frame (a non-default index, NaN for gaps): a frame out, with the answers
    the records get as mappings, in order, the index kept, the budget spent the same way."""
    import pandas as pd  # type: ignore[import-untyped]

    world.load_mappings()
    frame = pd.DataFrame(world.records(), index=[100 + 3 * i for i in range(11)])
    result = _resolve(world, world.resource(budget=3), frame, jobs=jobs)
    assert result.success
    out = result.output_for_node("resolve_company_ids_op")
    assert isinstance(out, pd.DataFrame)
    assert list(out.index) == list(frame.index) and out["note"].iloc[10] == "kept"
    assert list(out["status"]) == [
        "success_internal",
        "success_internal",
        "success_external",
        "temp_assigned",
        "success_external",
        "success_external",
        "pending_lookup",
        "pending_lookup",
        "temp_assigned",
        "temp_assigned",
        "temp_assigned",
    ]
    assert list(out["company_id"].iloc[:3]) == ["600000001", "600000002", "690000001"]
    assert out["request_id"].iloc[6:8].notna().all()
    assert _metadata(result, "resolve_company_ids_op") == {
        "success_internal": 2,
        "success_external": 3,
        "pending_lookup": 2,
        "temp_assigned": 4,
        "records": 11,
        "plan_only": False,
        "inline_lookups_left": 0,
    }
    assert world.searches() == 3


def test_resolve_op_given_a_polars_frame_plan_only_writes_nothing(world: World) -> None:
    import polars as pl

    world.load_mappings()
    rows = [{k: r.get(k) for k in ("plan_code", "customer_name", "account_name")} for r in world.records()]
    frame = pl.DataFrame(rows)
    before = world.snapshot()
    result = _resolve(world, world.resource(budget=3), frame, plan_only=True)
    assert result.success
    out = result.output_for_node("resolve_company_ids_op")
    assert isinstance(out, pl.DataFrame) and out.height == 11
    assert out["status"].to_list()[:2] == ["success_internal", "success_internal"]
    assert out["request_id"].null_count() == 11
    assert world.snapshot() == before and world.searches() == 0
    assert _metadata(result, "resolve_company_ids_op")["plan_only"] is True


@pytest.mark.parametrize("jobs", [1, 3])
def test_resolve_op_resolves_with_the_runs_budget_and_reports_by_status(
    world: World, closed: list[str], jobs: int
) -> None:
    """With ``jobs: 3`` the three chunks of 4 are resolved at once on three connections: the same answers (the
    decorated repeat of company 1 in the second chunk answers from the lookup the first chunk made inline)."""
    world.load_mappings()
    closed.clear()
    result = _resolve(world, world.resource(budget=3), iter(world.records()), jobs=jobs)  # any iterable will do
    assert result.success

    out = result.output_for_node("resolve_company_ids_op")
    assert [r["status"] for r in out] == [
        "success_internal",
        "success_internal",
        "success_external",
        "temp_assigned",
        "success_external",
        "success_external",
        "pending_lookup",
        "pending_lookup",
        "temp_assigned",
        "temp_assigned",
        "temp_assigned",
    ]
    assert [(r["company_id"], r["source"], r["match_type"]) for r in out[:3]] == [
        ("600000001", "plan", "plan"),
        ("600000002", "name", "name"),
        ("690000001", "EQC", "name"),
    ]
    assert out[4]["company_id"] == "690000002" and out[5]["company_id"] == "690000001"
    assert out[4]["account_number"] == 12345 and out[10]["note"] == "kept", "the input's own columns are kept"
    assert all(r["company_id"] is None and r["temp_id"] is None for r in out[6:8])
    temps = [r["temp_id"] for r in (out[3], *out[8:])]
    assert all(t is not None and t.startswith("TEMP_") for t in temps) and len(set(temps)) == 4
    assert all(r["company_id"] == r["temp_id"] for r in (out[3], *out[8:]))

    assert _metadata(result, "resolve_company_ids_op") == {
        "success_internal": 2,
        "success_external": 3,
        "pending_lookup": 2,
        "temp_assigned": 4,
        "records": 11,
        "plan_only": False,
        "inline_lookups_left": 0,
    }
    assert world.searches() == 3, "the run's budget of 3, one search per distinct name"

    # The database's end state: what was looked up is settled, the rest queued once per name.
    assert world.requests() == {
        world.key(world.company(1)): ("done", "found", "690000001", 1, None),
        world.key(world.unknown(1)): ("done", "not_found", None, 1, None),
        world.key(world.company(2)): ("done", "found", "690000002", 1, None),
        world.key(world.company(3)): ("pending", None, None, 0, None),
        world.key(world.unknown(2)): ("pending", None, None, 0, None),
    }
    assigned = dict(
        world.sql("SELECT temp_id, temp_key FROM enterprise.temp_id_assignments WHERE temp_id = ANY(%s)", (temps,))
    )
    assert assigned[out[3]["temp_id"]].startswith("name\x1f"), "the unknown name's TEMP id is keyed on the name"
    assert assigned[out[8]["temp_id"]].startswith("record\x1f") and assigned[out[9]["temp_id"]].startswith("record\x1f")
    assert out[10]["temp_id"] not in assigned, "a record with no field at all gets a fresh, unkeyed TEMP id"
    assert sorted(closed) == ["db", "eqc"], "the resource closed its pool and EQC client when the run ended"


@pytest.mark.parametrize("jobs", [1, 2])
def test_plan_only_reports_what_resolution_would_give_and_writes_nothing(world: World, jobs: int) -> None:
    world.load_mappings()
    before = world.snapshot()
    preview = _resolve(world, world.resource(budget=3), world.records(), plan_only=True, jobs=jobs)
    assert preview.success
    assert world.snapshot() == before, "no request queued, no TEMP id assigned or drawn, no mapping cached"
    assert world.searches() == 0, "plan-only never calls EQC"
    assert _metadata(preview, "resolve_company_ids_op") == {
        "success_internal": 2,
        "success_external": 0,
        "pending_lookup": 6,
        "temp_assigned": 3,
        "records": 11,
        "plan_only": True,
    }
    planned = preview.output_for_node("resolve_company_ids_op")
    assert all(r["company_id"] is None for r in planned if r["status"] != "success_internal"), (
        "ids that resolution would create are not invented"
    )

    # Resolution without inline lookups gives exactly what plan-only said, record by record.
    real = _resolve(world, world.resource(budget=0), world.records(), jobs=jobs)
    assert real.success
    resolved = real.output_for_node("resolve_company_ids_op")
    assert [r["status"] for r in resolved] == [r["status"] for r in planned]
    assert world.snapshot() != before

    # Once assigned, keyed TEMP ids show up in a plan-only run too.
    again = _resolve(world, world.resource(budget=0), world.records(), plan_only=True).output_for_node(
        "resolve_company_ids_op"
    )
    assert [r["temp_id"] for r in again[8:10]] == [r["temp_id"] for r in resolved[8:10]]
    assert again[10]["temp_id"] is None


def test_resolve_op_jobs_gives_the_one_connection_answers_and_is_bounded(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    """Records whose names repeat across chunks, resolved first by 4 connections (more than the pool's 2: lowered,
    with a warning), then by one: the same answers in the same order, one TEMP id per key, each name queued once."""
    records: list[dict[str, Any]] = [
        {"plan_code": f"{world.tag}-NP{i % 3}"} if i % 4 == 0 else {"customer_name": world.unknown(i % 5)}
        for i in range(60)
    ]
    parallel = _resolve(world, world.resource(pool_max_size=2), records, jobs=4)
    assert parallel.success
    assert "jobs 4 is more than pool_max_size 2" in caplog.text
    single = _resolve(world, world.resource(), records, jobs=1)
    assert single.success
    out = parallel.output_for_node("resolve_company_ids_op")
    assert out == single.output_for_node("resolve_company_ids_op")
    assert [r.get("customer_name") for r in out] == [r.get("customer_name") for r in records], "input order kept"
    assert {r["status"] for r in out} == {"pending_lookup", "temp_assigned"}
    keyed: dict[str, set[str]] = {}
    for r in out:
        if r["temp_id"]:
            keyed.setdefault(r["plan_code"], set()).add(r["temp_id"])
    assert len(keyed) == 3 and all(len(ids) == 1 for ids in keyed.values()), "one TEMP id per record key"
    assert len(set().union(*keyed.values())) == 3
    assert sorted(world.requests()) == sorted(world.key(world.unknown(i)) for i in range(5)), "each name queued once"
    for jobs in (0, 33):
        bad = _resolve(world, world.resource(), records, jobs=jobs)
        failure = bad.failure_data_for_node("resolve_company_ids_op")
        assert not bad.success and failure is not None and failure.error is not None
        assert "jobs" in failure.error.to_string(), "the config names the bad field"


# ------------------------------------------------------------------------------------------------ queue


def test_queue_job_drains_the_queue_and_reports_counts(world: World, closed: list[str]) -> None:
    names = [world.company(1), world.company(2), world.company(3), world.unknown(1), world.unknown(2)]
    world.enqueue(names)

    first = _drain(world.resource(), batch_size=2, max_requests=3)
    assert first.success
    meta = _metadata(first, "process_lookup_queue_op")
    assert (meta["claimed"], meta["found"] + meta["not_found"], meta["queue_pending"]) == (3, 3, 2)
    assert first.output_for_node("process_lookup_queue_op")["claimed"] == 3

    second = _drain(world.resource())
    assert second.success
    rest = _metadata(second, "process_lookup_queue_op")
    assert {k: rest[k] for k in ("claimed", "retried", "failed", "released", "lost", "auth_failed")} == {
        "claimed": 2,
        "retried": 0,
        "failed": 0,
        "released": 0,
        "lost": 0,
        "auth_failed": False,
    }
    assert (meta["found"] + rest["found"], meta["not_found"] + rest["not_found"]) == (3, 2)
    assert (rest["queue_pending"], rest["queue_failed"], rest["eqc_enabled"]) == (0, 0, True)

    assert world.requests() == {
        world.key(world.company(1)): ("done", "found", "690000001", 1, None),
        world.key(world.company(2)): ("done", "found", "690000002", 1, None),
        world.key(world.company(3)): ("done", "found", "690000003", 1, None),
        world.key(world.unknown(1)): ("done", "not_found", None, 1, None),
        world.key(world.unknown(2)): ("done", "not_found", None, 1, None),
    }
    assert world.searches() == 5
    learned = world.sql(
        "SELECT status, company_id FROM enterprise.preview_company_ids(customer_names => %s)", ([world.company(3)],)
    )
    assert learned == [("success_external", "690000003")], "the worker cached what EQC found"
    assert sorted(closed) == ["db", "db", "eqc", "eqc"], "each run closed the pool and EQC client it built"


def test_queue_job_reports_the_answers_sent_to_review(world: World) -> None:
    world.enqueue([world.company(1), world.pinyin()])
    instance = dg.DagsterInstance.ephemeral()
    result = _drain(world.resource(), instance)
    assert result.success
    meta = _metadata(result, "process_lookup_queue_op")
    assert (meta["claimed"], meta["found"], meta["review"], meta["queue_review"]) == (2, 1, 1, 1)
    assert result.output_for_node("process_lookup_queue_op")["review"] == 1
    assert world.requests()[world.key(world.pinyin())][0] == "review"
    logs = [e.user_message for e in instance.all_logs(result.run_id) if e.level == logging.INFO]
    assert any("lookup queue: claimed 2, found 1, not_found 0, review 1" in (m or "") for m in logs), logs


def test_queue_batch_size_is_validated_before_anything_is_claimed(world: World) -> None:
    world.enqueue([world.company(1)])
    result = _drain(world.resource(), batch_size=501)
    assert not result.success
    assert world.requests() == {world.key(world.company(1)): ("pending", None, None, 0, None)}
    assert world.searches() == 0


def test_eqc_auth_error_does_not_fail_the_queue_job(world: World) -> None:
    world.enqueue([world.company(1), world.company(2), world.unknown(1)])
    world.standin.inject(Fault(kind="401", times=None))
    instance = dg.DagsterInstance.ephemeral()
    result = _drain(world.resource(), instance, batch_size=10)
    assert result.success, "an EQC error never fails the run"
    meta = _metadata(result, "process_lookup_queue_op")
    assert (meta["auth_failed"], meta["claimed"], meta["released"], meta["found"]) == (True, 3, 3, 0)
    assert meta["queue_pending"] == 3
    assert set(world.requests().values()) == {("pending", None, None, 0, None)}, "released, no attempt spent"

    logs = instance.all_logs(result.run_id)
    errors = [e.user_message for e in logs if e.level == logging.ERROR]
    assert any("EQC refused the token" in message for message in errors)
    assert not any(world.standin.token in (e.user_message or "") for e in logs), "the token is never logged"


def test_queue_job_without_eqc_enabled_leaves_the_queue_alone(world: World) -> None:
    world.enqueue([world.company(1)])
    result = _drain(world.resource(enabled=False))
    assert result.success
    meta = _metadata(result, "process_lookup_queue_op")
    assert (meta["eqc_enabled"], meta["claimed"], meta["queue_pending"]) == (False, 0, 1)
    assert world.searches() == 0


# ------------------------------------------------------------------------------------------------ errors


@pytest.fixture
def bare_database_uri(db_uri: str) -> Iterator[str]:
    """A database on the same cluster where the plan is not deployed; dropped afterwards."""
    name = f"ce_dagster_bare_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(db_uri, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield make_conninfo(db_uri, dbname=name)
    finally:
        with psycopg.connect(db_uri, autocommit=True) as conn:
            # Without FORCE: this fails if a resource left a connection open (PostgreSQL waits 5 s for them).
            try:
                conn.execute(f'DROP DATABASE "{name}"')
            except psycopg.errors.ObjectInUse:
                conn.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
                raise


def test_database_error_fails_the_run_with_sqlstate_and_message(world: World, bare_database_uri: str) -> None:
    resource = world.resource(budget=1, database_uri=bare_database_uri)

    resolved = _resolve(world, resource, [{"customer_name": world.company(1)}])
    assert not resolved.success
    description, metadata = _failure(resolved, "resolve_company_ids_op")
    assert metadata["sqlstate"] in ("3F000", "42883"), metadata  # schema enterprise / the function does not exist
    assert f"[{metadata['sqlstate']}]" in description and metadata["message"] in description
    assert "enterprise" in metadata["message"]
    assert set(metadata) >= {"sqlstate", "message", "detail", "hint"}

    drained = _drain(resource)
    assert not drained.success
    _, metadata = _failure(drained, "process_lookup_queue_op")
    assert metadata["sqlstate"] in ("3F000", "42883")
    assert world.searches() == 0


def test_the_schedule_is_hourly_and_stopped_until_switched_on() -> None:
    assert process_company_lookup_queue_schedule.job_name == process_company_lookup_queue_job.name
    assert process_company_lookup_queue_schedule.cron_schedule == "0 * * * *"
    assert process_company_lookup_queue_schedule.default_status is dg.DefaultScheduleStatus.STOPPED
    defs = dg.Definitions(
        jobs=[process_company_lookup_queue_job],
        schedules=[process_company_lookup_queue_schedule],
        resources={RESOURCE_KEY: CompanyEnrichmentResource()},
    )
    assert defs.resolve_job_def("process_company_lookup_queue_job").name == "process_company_lookup_queue_job"


def test_the_resource_never_shows_the_token() -> None:
    resource = CompanyEnrichmentResource(eqc_token="very-secret-token", database_uri="postgresql:///nowhere")
    assert "very-secret-token" not in repr(resource)
    assert "very-secret-token" not in str(resource)


def _resource_init_error(result: dg.ExecuteInProcessResult) -> str:
    failures = [e for e in result.all_events if e.event_type_value == "RESOURCE_INIT_FAILURE"]
    assert len(failures) == 1
    error = failures[0].engine_event_data.error
    assert error is not None
    return error.message


def test_invalid_settings_fail_the_run_naming_the_setting_never_the_token(world: World) -> None:
    world.enqueue([world.company(1)])
    bad_timeout = _drain(world.resource(eqc_timeout=-1))
    assert not bad_timeout.success
    assert "WDH_EQC_TIMEOUT" in _resource_init_error(bad_timeout)

    bad_token = _drain(world.resource(eqc_token="not a token"))
    assert not bad_token.success
    message = _resource_init_error(bad_token)
    assert "token" in message and "not a token" not in message
    assert world.requests() == {world.key(world.company(1)): ("pending", None, None, 0, None)}


def test_resolve_op_reads_through_a_standby_given_replica_uris(world: World, standby_uri: str) -> None:
    """replica_uris: the same answers as without, and the report says where the records were answered."""
    world.load_mappings()
    alone = _resolve(world, world.resource(budget=0), world.records())
    assert alone.success
    assert "records_to_primary" not in _metadata(alone, "resolve_company_ids_op")
    combined = _resolve(
        world, world.resource(budget=0, replica_uris=[standby_uri], replica_max_wait=5.0), world.records()
    )
    assert combined.success
    first, again = (r.output_for_node("resolve_company_ids_op") for r in (alone, combined))
    assert [r["company_id"] for r in again[:10]] == [r["company_id"] for r in first[:10]]
    assert [r["status"] for r in again] == [r["status"] for r in first]
    metadata = _metadata(combined, "resolve_company_ids_op")
    # two curated hits and two keyed TEMP ids minted by the first run come from the standby; the six queued names
    # and the record without any field (a fresh TEMP id) reach the primary
    assert (metadata["records_from_replica"], metadata["records_to_primary"]) == (4, 7)
