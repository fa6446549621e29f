"""explain_company_id ("why this id?", issue 16): its answer is preview_company_ids's for every kind of record, it
writes nothing, and ``company-enrichment explain`` prints it."""

from __future__ import annotations

from collections.abc import Iterator

import psycopg
import pytest
from cli_support import runner
from company_enrichment import cli_common
from company_enrichment.cli import app
from company_enrichment.db import EnrichmentDB
from company_enrichment.models import CompanyIdResult, CompanyRecord, ExplainStep, MappingRow, ResolutionStatus

Conn = psycopg.Connection[tuple[object, ...]]

KINDS = ["plan", "account", "hardcode", "name", "account_name", "learned"]

#: Everything explain could change, in one value: mappings, requests, TEMP assignments and the TEMP sequence.
SNAPSHOT = """
SELECT md5(concat_ws('/',
    (SELECT string_agg(m::text, ',' ORDER BY m.alias_name, m.match_type) FROM enterprise.company_mapping AS m),
    (SELECT string_agg(q::text, ',' ORDER BY q.id) FROM enterprise.lookup_requests AS q),
    (SELECT string_agg(t::text, ',' ORDER BY t.temp_key) FROM enterprise.temp_id_assignments AS t),
    (SELECT last_value::text || is_called::text FROM enterprise.temp_id_seq)))
"""


@pytest.fixture
def db(db_uri: str) -> Iterator[EnrichmentDB]:
    with EnrichmentDB.connect(db_uri, max_size=2) as database:
        yield database


def snapshot(conn: Conn) -> str:
    row = conn.execute(SNAPSHOT).fetchone()
    assert row is not None
    return str(row[0])


def expected_kind(result: CompanyIdResult) -> str:
    """The step that must have answered, read from preview_company_ids's row."""
    if result.status is ResolutionStatus.SUCCESS_INTERNAL:
        assert result.source is not None
        return result.source
    if result.status is ResolutionStatus.SUCCESS_EXTERNAL:
        return "learned"
    return "queue" if result.status is ResolutionStatus.PENDING_LOOKUP else "temp_id"


def disagreement(steps: list[ExplainStep], preview: CompanyIdResult) -> str | None:
    """What in explain's rows contradicts preview_company_ids's answer, or None."""
    if [s.step for s in steps] != [1, 2, 3, 4, 5, 6, 7] or [s.kind for s in steps[:6]] != KINDS:
        return f"steps {[(s.step, s.kind) for s in steps]}"
    answered = [s for s in steps if s.answered]
    if len(answered) != 1:
        return f"{len(answered)} answered steps"
    step, final = answered[0], steps[6]
    if (step.company_id, step.status) != (preview.company_id, preview.status):
        return f"answer {(step.company_id, step.status)} != preview {(preview.company_id, preview.status)}"
    if step.kind != expected_kind(preview):
        return f"answered by {step.kind}, preview says {preview.status} from {preview.source}"
    if final.temp_id != preview.temp_id:
        return f"TEMP id {final.temp_id} != preview {preview.temp_id}"
    if preview.status is ResolutionStatus.PENDING_LOOKUP and final.request_id != preview.request_id:
        return f"request {final.request_id} != preview {preview.request_id}"
    first_hit = next((s.step for s in steps[:6] if s.hit), None)
    if step.step <= 6 and (step.step != first_hit or step.canonical_id != preview.company_id):
        return f"step {step.step} answered with {step.canonical_id}, but the first hit is step {first_hit}"
    if step.step == 7 and first_hit is not None:
        return f"step 7 answered although step {first_hit} hits"
    return None


def fixtures(db: EnrichmentDB, conn: Conn, tag: str) -> dict[str, CompanyRecord]:
    """Mappings and requests of every kind and state, and one record for each case to explain."""
    t = tag.upper()
    db.upsert_internal_mappings(
        [
            MappingRow(alias_name=f"{t}-PLAN", canonical_id="760000001", match_type="plan"),
            MappingRow(alias_name=f"{t}-ACCT", canonical_id="760000002", match_type="account"),
            MappingRow(alias_name=f"{t}-HC", canonical_id="760000003", match_type="hardcode"),
            MappingRow(alias_name=f"{t}-BOTH", canonical_id="760000011", match_type="plan"),
            MappingRow(alias_name=f"{t}-BOTH", canonical_id="760000013", match_type="hardcode"),
            MappingRow(alias_name=f"{tag}解释甲公司", canonical_id="760000004", match_type="name"),
            MappingRow(alias_name=f"{tag}解释账户", canonical_id="760000005", match_type="account_name"),
        ]
    )
    db.cache_company_mapping(f"{tag}解释学到公司", "760000006")
    db.cache_company_mapping(f"{tag}解释被覆盖公司", "760000007")
    db.upsert_internal_mappings(
        [MappingRow(alias_name=f"（已注销）{tag}解释被覆盖公司", canonical_id="760000008", match_type="name")]
    )
    worker = f"{tag}:explain"

    def held(name: str) -> int:
        request = db.enqueue_lookup(name)
        assert db.claim_lookup(request.id, worker) is not None
        return request.id

    db.enqueue_lookup(f"{tag}解释排队公司")
    held(f"{tag}解释处理中公司")
    db.fail_lookup(held(f"{tag}解释失败公司"), worker, "EQC 503", max_attempts=1)
    revivable = held(f"{tag}解释可重试公司")
    db.fail_lookup(revivable, worker, "EQC 503", max_attempts=1)
    conn.execute(
        "UPDATE enterprise.lookup_requests SET last_failed_at = now() - interval '1 year' WHERE id = %s", (revivable,)
    )
    db.complete_lookup_not_found(held(f"{tag}解释查无公司"), worker)
    pinyin = [{"companyId": "760000031", "companyFullName": f"{tag}解释复核贸易公司", "type": "拼音"}]
    settled = db.settle_lookups(worker, [held(f"{tag}解释复核公司")], [pinyin])
    assert [r.status for r in settled] == ["review"]
    db.resolve_company_id(plan_code=f"{t}-NOPE-OLD", account_name=f"{tag}旧无名账户")  # its TEMP id is assigned

    r = CompanyRecord
    return {
        "curated plan, blank-padded": r(plan_code=f"  {t}-PLAN "),
        "curated account": r(plan_code=f"{t}-NOPE", account_number=f"{t}-ACCT"),
        "curated hardcode": r(plan_code=f"{t}-HC", customer_name=f"{tag}解释学到公司"),
        "plan over hardcode": r(plan_code=f"{t}-BOTH"),
        "curated name, decorated": r(customer_name=f"「{tag}解释甲公司」（已注销）", account_number=f"{t}-NOPE"),
        "curated name, full width": r(customer_name=f"{tag}解释甲公司".upper().replace("-", "－")),
        "curated account_name": r(account_name=f"{tag}解释账户-注销。"),
        "learned": r(customer_name=f"{tag}解释学到公司"),
        "learned, decorated": r(customer_name=f"（已吊销）{tag}解释学到公司"),
        "curated over learned": r(customer_name=f"{tag}解释被覆盖公司"),
        "account_name over learned": r(customer_name=f"{tag}解释学到公司", account_name=f"{tag}解释账户"),
        "account over learned": r(customer_name=f"{tag}解释学到公司", account_number=f"{t}-ACCT"),
        "queued": r(customer_name=f"{tag}解释排队公司"),
        "processing": r(customer_name=f"{tag}解释处理中公司"),
        "failed": r(customer_name=f"{tag}解释失败公司"),
        "failed, retried on resolution": r(customer_name=f"{tag}解释可重试公司"),
        "review": r(customer_name=f"{tag}解释复核公司"),
        "not found": r(customer_name=f"{tag}解释查无公司", plan_code=f"{t}-NOPE"),
        "unknown name": r(customer_name=f"{tag}解释新公司", plan_code=f"{t}-NOPE", account_name=f"{tag}无名"),
        "no customer name, TEMP id assigned": r(plan_code=f"{t}-NOPE-OLD", account_name=f"{tag}旧无名账户"),
        "no customer name, no TEMP id yet": r(plan_code=f"{t}-NOPE-NEW", account_number="  "),
        "placeholder name": r(customer_name="N/A", account_number=f"{t}-NOPE"),
        "blank strings": r(plan_code=" ", customer_name="", account_name="\t", account_number="  "),
        "name too long to look up": r(customer_name=f"{tag}" + "长" * 300),
        "no field at all": r(),
    }


def test_explain_gives_the_preview_answer_for_every_kind_of_record_and_writes_nothing(
    db: EnrichmentDB, conn: Conn, tag: str
) -> None:
    records = fixtures(db, conn, tag)
    before = snapshot(conn)
    explained = {label: db.explain_company_id(record) for label, record in records.items()}
    assert snapshot(conn) == before, "explaining changed mappings, requests, TEMP assignments or the TEMP sequence"
    previews = dict(zip(records, db.preview_company_ids(list(records.values())), strict=True))
    problems = {label: disagreement(explained[label], previews[label]) for label in records}
    assert {label: p for label, p in problems.items() if p} == {}
    # The cases really cover every step and every status.
    answered = {label: next(s for s in steps if s.answered) for label, steps in explained.items()}
    assert {s.kind for s in answered.values()} == {*KINDS, "queue", "temp_id"}
    assert {s.status for s in answered.values()} == set(ResolutionStatus)
    assert answered["curated over learned"].canonical_id == "760000008"
    assert explained["curated over learned"][5].canonical_id == "760000007", "the learned row is shown, not used"
    assert answered["account_name over learned"].kind == "account_name"
    assert answered["account over learned"].kind == "account"
    assert explained["curated name, decorated"][3].lookup_key == f"{tag}解释甲公司"
    assert answered["curated name, full width"].company_id == "760000004"
    assert answered["failed, retried on resolution"].note.endswith("resolving the name again retries it now")
    assert answered["review"].request_status == "review"
    assert answered["not found"].request_outcome == "not_found" and answered["not found"].hit
    assert answered["no customer name, TEMP id assigned"].hit
    assert not answered["no customer name, no TEMP id yet"].hit

    # Resolution then writes (queues, revives, assigns TEMP ids); explain still gives the preview's answer, and the
    # ids resolution gave.
    resolved = dict(zip(records, db.resolve_company_ids(list(records.values())), strict=True))
    after = {label: db.explain_company_id(record) for label, record in records.items()}
    previews = dict(zip(records, db.preview_company_ids(list(records.values())), strict=True))
    problems = {label: disagreement(after[label], previews[label]) for label in records}
    assert {label: p for label, p in problems.items() if p} == {}
    for label, result in resolved.items():
        step = next(s for s in after[label] if s.answered)
        if label not in ("no field at all", "blank strings"):  # a fresh TEMP id every time
            assert (step.company_id, step.status) == (result.company_id, result.status), label


def test_a_ten_thousand_character_value_is_explained(db: EnrichmentDB) -> None:
    """Like resolve_company_id, explain raises nothing on any input."""
    steps = db.explain_company_id(CompanyRecord(customer_name="长" * 10_000, plan_code="P" * 10_000))
    final = steps[6]
    assert final.answered and final.status is ResolutionStatus.TEMP_ASSIGNED
    assert final.note.startswith("the name's key is longer than 255 characters")


def test_cli_explain_prints_each_step_and_the_answer(
    db: EnrichmentDB, conn: Conn, db_uri: str, tag: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WDH_DATABASE__URI", db_uri)
    monkeypatch.setattr(cli_common.console, "width", 250)
    db.cache_company_mapping(f"（已注销）{tag}命令行公司", "760000042")  # learned, then curated under the same key
    curated = MappingRow(alias_name=f"{tag}命令行公司", canonical_id="760000041", match_type="name")
    db.upsert_internal_mappings([curated])

    result = runner.invoke(
        app, ["explain", "--customer-name", f" {tag}命令行公司（已注销）", "--account-number", "CLI-NOPE"]
    )
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert "answer: 760000041, success_internal, from step 4 (name)" in lines
    name_row = next(line for line in lines if "│ 4 │" in line)
    assert f"{tag}命令行公司 -> 760000041 (internal, confidence 1.00" in name_row
    assert "curated name mapping: the answer" in name_row
    learned_row = next(line for line in lines if "│ 6 │" in line)
    assert "-> 760000042 (EQC" in learned_row and "a curated mapping wins (step 4)" in learned_row
    assert "no curated account mapping for this key" in next(line for line in lines if "│ 2 │" in line)

    before = snapshot(conn)
    pending = runner.invoke(app, ["explain", "--customer-name", f"{tag}命令行新公司", "--plan-code", "CLI-NOPE"])
    assert pending.exit_code == 0, pending.output
    assert "answer: no id yet (waiting for an EQC lookup), pending_lookup, from step 7 (queue)" in pending.output
    assert "not queued yet: resolving would queue the name" in pending.output
    assert snapshot(conn) == before, "the command queued or assigned something"

    nothing = runner.invoke(app, ["explain"])
    assert nothing.exit_code == 2
    assert "give at least one of --customer-name" in nothing.output
