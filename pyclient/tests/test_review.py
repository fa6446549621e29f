"""Trust in EQC's answers, from the client's side: the worker learns only what scores auto_accept_confidence and
sends the rest to review; people decide (one at a time, or a CSV file all or nothing); races between deciders;
resolve --with-profile. Real PostgreSQL, the EQC stand-in on loopback.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import psycopg
import pytest
from cli_support import read_rows, runner, write
from company_enrichment import cli_common
from company_enrichment.cli import app
from company_enrichment.db import EnrichmentDB
from company_enrichment.eqc import EQCClient
from company_enrichment.errors import ReviewDecidedError
from company_enrichment.models import CompanyRecord, ResolutionStatus
from company_enrichment.service import CompanyEnrichmentService
from company_enrichment.standin import EQCStandin

Conn = psycopg.Connection[tuple[Any, ...]]

# Company ids of the stand-in's fixtures below.
HAILIAN_INTL, HAILIAN, CHANGCHENG, CHANGCHENG2, MINGYUAN, XIZI = (
    "671000001",
    "671000002",
    "671000003",
    "671000004",
    "671000005",
    "671000006",
)


class Names:
    """The names the tests look up, unique per test (tag)."""

    def __init__(self, tag: str) -> None:
        self.tag = tag
        # EQC answers the international company first (an alias of it), then the company whose full name it is.
        self.hailian = f"{tag}海联贸易有限公司"
        # Two companies EQC matches by pinyin only (拼音, 0.60): neither may be learned without a person.
        self.pinyin = f"{tag}常澄润滑油有限公司"
        # A substring of a company's full name, from a company whose candidates carry no type (0.70).
        self.untyped = f"{tag}明远精密"
        # A misspelling EQC matches by pinyin to the right company.
        self.xizi = f"{tag}西子电体有限公司"

    def companies(self) -> list[dict[str, Any]]:
        t = self.tag
        return [
            {
                "companyId": HAILIAN_INTL,
                "companyFullName": f"{t}海联国际贸易有限公司",
                "aliases": [self.hailian],
                "unite_code": "91330200000000001A",
            },
            {"companyId": HAILIAN, "companyFullName": self.hailian, "unite_code": "91330200000000002B"},
            {"companyId": CHANGCHENG, "companyFullName": f"{t}长城润滑油有限公司", "pinyin": [self.pinyin]},
            {"companyId": CHANGCHENG2, "companyFullName": f"{t}昌成润滑油有限公司", "pinyin": [self.pinyin]},
            {"companyId": MINGYUAN, "companyFullName": f"{t}明远精密机械有限公司", "untyped": True},
            {
                "companyId": XIZI,
                "companyFullName": f"{t}西子电梯有限公司",
                "pinyin": [self.xizi],
                "unite_code": "91330100000000006F",
            },
        ]


@pytest.fixture
def names(tag: str) -> Names:
    return Names(tag)


@pytest.fixture
def standin(names: Names) -> Iterator[EQCStandin]:
    with EQCStandin({"token": "trust-token", "companies": names.companies()}).start() as server:
        yield server


@pytest.fixture
def db(db_uri: str) -> Iterator[EnrichmentDB]:
    with EnrichmentDB.connect(db_uri, max_size=3) as database:
        yield database


def drain(db: EnrichmentDB, standin: EQCStandin, queued: list[str]) -> dict[str, int]:
    """Queue the names, run the worker once over them; the request id of each name."""
    with EQCClient(standin.url, standin.token, retry_max=0, sleep=lambda _: None) as eqc:
        service = CompanyEnrichmentService(db, eqc)
        results = db.resolve_company_ids([CompanyRecord(customer_name=n) for n in queued])
        assert all(r.status is ResolutionStatus.PENDING_LOOKUP for r in results)
        service.process_lookup_queue()
    return {n: r.request_id for n, r in zip(queued, results, strict=True) if r.request_id is not None}


def learned(conn: Conn, name: str) -> list[tuple[Any, ...]]:
    return conn.execute(
        "SELECT canonical_id, source, confidence, eqc_type FROM enterprise.company_mapping"
        " WHERE lookup_key = enterprise.normalize_name(%s) ORDER BY canonical_id",
        (name,),
    ).fetchall()


def request_state(conn: Conn, request_id: int) -> tuple[Any, ...] | None:
    return conn.execute(
        "SELECT status, outcome, company_id FROM enterprise.lookup_requests WHERE id = %s", (request_id,)
    ).fetchone()


# ------------------------------------------------------------------------------------------- the worker


def test_the_worker_learns_the_right_candidate_when_eqc_lists_it_second(
    db: EnrichmentDB, standin: EQCStandin, names: Names, conn: Conn, empty_queue: None
) -> None:
    with EQCClient(standin.url, standin.token, retry_max=0) as eqc:
        answer = eqc.search_company(names.hailian)
    assert [c.company_id for c in answer] == [HAILIAN_INTL, HAILIAN], "the wrong company comes first"
    with EQCClient(standin.url, standin.token, retry_max=0) as eqc:
        db.resolve_company_ids([CompanyRecord(customer_name=names.hailian)])
        stats = CompanyEnrichmentService(db, eqc).process_lookup_queue()
    assert (stats.claimed, stats.found, stats.review) == (1, 1, 0)
    assert learned(conn, names.hailian) == [(HAILIAN, "EQC", Decimal("1.00"), "全称精确匹配")]
    again = db.resolve_company_id(customer_name=names.hailian)
    assert (again.status, again.company_id) == (ResolutionStatus.SUCCESS_EXTERNAL, HAILIAN)


def test_a_pinyin_answer_goes_to_review_and_nothing_is_learned(
    db: EnrichmentDB, standin: EQCStandin, names: Names, conn: Conn, empty_queue: None
) -> None:
    with EQCClient(standin.url, standin.token, retry_max=0) as eqc:
        first = db.resolve_company_ids([CompanyRecord(customer_name=names.pinyin)])[0]
        stats = CompanyEnrichmentService(db, eqc).process_lookup_queue()
    assert (stats.claimed, stats.found, stats.not_found, stats.review) == (1, 0, 0, 1)
    assert learned(conn, names.pinyin) == [], "a pinyin match is never cached without a person"
    assert request_state(conn, first.request_id or 0) == ("review", None, None)
    (item,) = db.lookup_review_items([first.request_id or 0])
    assert [(c.company_id, c.eqc_type, c.confidence) for c in item.candidates] == [
        (CHANGCHENG, "拼音", Decimal("0.60")),
        (CHANGCHENG2, "拼音", Decimal("0.60")),
    ]
    again = db.resolve_company_id(customer_name=names.pinyin)
    assert (again.status, again.request_id) == (ResolutionStatus.PENDING_LOOKUP, first.request_id)
    assert db.queue_stats().review == 1


# -------------------------------------------------------------------------------------- racing deciders


@pytest.mark.parametrize("first", ["accept", "reject"])
def test_concurrent_accept_and_reject_one_wins_the_other_gets_ce003(
    db: EnrichmentDB, db_uri: str, standin: EQCStandin, names: Names, conn: Conn, empty_queue: None, first: str
) -> None:
    """Two people decide one request from two connections: the first holds the row while the second waits; when
    the first commits, the second gets CE003 (ReviewDecidedError) and changes nothing."""
    rid = drain(db, standin, [names.pinyin])[names.pinyin]
    decide = {
        "accept": "SELECT status FROM enterprise.accept_lookup_candidate(%s, %s)",
        "reject": "SELECT status FROM enterprise.reject_lookup(%s)",
    }
    second_error: list[BaseException] = []

    def second() -> None:
        try:
            if first == "accept":
                db.reject_lookup(rid)
            else:
                db.accept_lookup_candidate(rid, CHANGCHENG)
        except BaseException as exc:
            second_error.append(exc)

    with psycopg.connect(db_uri) as holder:  # a transaction, committed below
        params = (rid, CHANGCHENG) if first == "accept" else (rid,)
        assert holder.execute(decide[first], params).fetchone() == ("done",)
        thread = threading.Thread(target=second)
        thread.start()
        thread.join(0.5)
        assert thread.is_alive(), "the second decision waits for the first one's row lock"
        holder.commit()
        thread.join(10)
    assert len(second_error) == 1 and isinstance(second_error[0], ReviewDecidedError), second_error
    assert second_error[0].sqlstate == "CE003"
    assert second_error[0].message == "lookup request is not under review"
    if first == "accept":
        assert request_state(conn, rid) == ("done", "found", CHANGCHENG)
        assert learned(conn, names.pinyin) == [(CHANGCHENG, "EQC", Decimal("1.00"), "拼音")]
    else:
        assert request_state(conn, rid) == ("done", "not_found", None)
        assert learned(conn, names.pinyin) == []


# ------------------------------------------------------------------------------------------- the CLI


@pytest.fixture
def under_review(db: EnrichmentDB, standin: EQCStandin, names: Names, empty_queue: None) -> dict[str, int]:
    """Three requests under review: the pinyin name (2 candidates), the untyped substring, the misspelling."""
    ids = drain(db, standin, [names.pinyin, names.untyped, names.xizi])
    assert [item.request_id for item in db.lookup_review()] == sorted(ids.values())
    return ids


@pytest.fixture
def wide_console(monkeypatch: pytest.MonkeyPatch) -> None:
    """CliRunner is no terminal (80 columns): give the table room, so names are not folded across lines."""
    monkeypatch.setattr(cli_common.console, "width", 250)


def export(tmp_path: Path) -> tuple[Path, list[dict[str, str]]]:
    path = tmp_path / "review.csv"
    result = runner.invoke(app, ["review", "list", "--csv", str(path)])
    assert result.exit_code == 0, result.output
    return path, read_rows(path)


def fill(path: Path, rows: list[dict[str, str]], decisions: dict[tuple[int, str], str]) -> Path:
    """Write the exported rows back with decisions, keyed by (request_id, company_id)."""
    columns = list(rows[0])
    lines = [",".join(columns)]
    for row in rows:
        row = {**row, "decision": decisions.get((int(row["request_id"]), row["company_id"]), "")}
        lines.append(",".join(row[c] for c in columns))
    return write(path, "\n".join(lines) + "\n")


def test_review_list_shows_a_table_and_exports_one_row_per_candidate(
    env: dict[str, str], under_review: dict[str, int], names: Names, tmp_path: Path, wide_console: None
) -> None:
    result = runner.invoke(app, ["review", "list"])
    assert result.exit_code == 0, result.output
    text = result.output
    for name in (names.pinyin, names.untyped, names.xizi):
        assert name in text
    assert text.index(names.pinyin) < text.index(names.untyped) < text.index(names.xizi), "oldest first"
    assert text.index(CHANGCHENG) < text.index(CHANGCHENG2), "candidates in rank order"
    assert "拼音" in text and "0.60" in text and "0.70" in text, text
    assert "3 request(s) under review, 4 candidate(s)" in text

    _, rows = export(tmp_path)
    assert list(rows[0]) == [
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
    assert [(int(r["request_id"]), r["rank"], r["company_id"], r["eqc_type"], r["confidence"]) for r in rows] == [
        (under_review[names.pinyin], "1", CHANGCHENG, "拼音", "0.60"),
        (under_review[names.pinyin], "2", CHANGCHENG2, "拼音", "0.60"),
        (under_review[names.untyped], "1", MINGYUAN, "", "0.70"),
        (under_review[names.xizi], "1", XIZI, "拼音", "0.60"),
    ]
    assert rows[3]["full_name"] == f"{names.tag}西子电梯有限公司" and rows[3]["unite_code"] == "91330100000000006F"
    assert {r["decision"] for r in rows} == {""}
    assert {r["name"] for r in rows} == {names.pinyin, names.untyped, names.xizi}


def test_review_list_with_nothing_under_review(env: dict[str, str], empty_queue: None, tmp_path: Path) -> None:
    result = runner.invoke(app, ["review", "list"])
    assert result.exit_code == 0 and "no lookup requests are under review" in result.output
    _, rows = export(tmp_path)
    assert rows == []


def test_review_accept_and_reject(
    env: dict[str, str], under_review: dict[str, int], names: Names, conn: Conn, db: EnrichmentDB
) -> None:
    xizi, pinyin, untyped = under_review[names.xizi], under_review[names.pinyin], under_review[names.untyped]
    not_a_candidate = runner.invoke(app, ["review", "accept", str(xizi), CHANGCHENG])
    assert not_a_candidate.exit_code == 1
    assert "[CE004]: the company is not one of the request's candidates" in not_a_candidate.output
    assert "hint: Pick one of the candidates, or pass force" in not_a_candidate.output
    assert request_state(conn, xizi) == ("review", None, None)

    accepted = runner.invoke(app, ["review", "accept", str(xizi), XIZI])
    assert accepted.exit_code == 0, accepted.output
    assert f"request {xizi} '{names.xizi}': accepted {XIZI}" in accepted.output
    assert learned(conn, names.xizi) == [(XIZI, "EQC", Decimal("1.00"), "拼音")]
    assert db.resolve_company_id(customer_name=names.xizi).company_id == XIZI

    rejected = runner.invoke(app, ["review", "reject", str(pinyin)])
    assert rejected.exit_code == 0, rejected.output
    assert request_state(conn, pinyin) == ("done", "not_found", None)
    assert db.resolve_company_id(customer_name=names.pinyin).status is ResolutionStatus.TEMP_ASSIGNED

    twice = runner.invoke(app, ["review", "reject", str(pinyin)])
    assert twice.exit_code == 1
    assert "[CE003]: lookup request is not under review" in twice.output and "traceback" not in twice.output.lower()
    assert f"detail: request_id {pinyin}" in twice.output

    forced = runner.invoke(app, ["review", "accept", str(untyped), "671999999", "--force"])
    assert forced.exit_code == 0, forced.output
    assert learned(conn, names.untyped) == [("671999999", "EQC", Decimal("1.00"), None)]

    missing = runner.invoke(app, ["review", "reject", "999999999999"])
    assert missing.exit_code == 1 and "[CE002]" in missing.output


def test_review_apply_a_good_file(
    env: dict[str, str], under_review: dict[str, int], names: Names, conn: Conn, tmp_path: Path, db: EnrichmentDB
) -> None:
    path, rows = export(tmp_path)
    pinyin, untyped, xizi = under_review[names.pinyin], under_review[names.untyped], under_review[names.xizi]
    fill(path, rows, {(pinyin, CHANGCHENG): "reject", (pinyin, CHANGCHENG2): " Reject ", (xizi, XIZI): "accept"})
    result = runner.invoke(app, ["review", "apply", str(path)])
    assert result.exit_code == 0, result.output
    assert "review.csv: 1 accepted, 1 rejected (1 row(s) without a decision ignored)" in result.output
    assert request_state(conn, pinyin) == ("done", "not_found", None)
    assert request_state(conn, xizi) == ("done", "found", XIZI)
    assert request_state(conn, untyped) == ("review", None, None), "a request without a decision is left alone"
    assert learned(conn, names.xizi) == [(XIZI, "EQC", Decimal("1.00"), "拼音")]
    assert learned(conn, names.pinyin) == []
    assert db.queue_stats().review == 1


def test_review_apply_names_every_bad_line_and_writes_nothing(
    env: dict[str, str], under_review: dict[str, int], names: Names, conn: Conn, tmp_path: Path
) -> None:
    pinyin, untyped, xizi = under_review[names.pinyin], under_review[names.untyped], under_review[names.xizi]
    header = "request_id,name,rank,company_id,full_name,unite_code,eqc_type,confidence,decision"
    path = write(
        tmp_path / "bad.csv",
        "\n".join(
            [
                header,
                f"{pinyin},x,1,{CHANGCHENG},,,,,accept",  # line 2: two accepts for one request (with line 3)
                f"{pinyin},x,2,{CHANGCHENG2},,,,,accept",  # line 3
                f"{untyped},x,1,{MINGYUAN},,,,,yes",  # line 4: unknown word
                f"{xizi},x,1,{XIZI},,,,,reject",  # line 5: fine on its own
                "999999999999,x,1,1,,,,,reject",  # line 6: not under review
                f"{xizi},x,1,{CHANGCHENG},,,,,",  # line 7: no decision, ignored
                f"abc,x,1,{XIZI},,,,,reject",  # line 8: not a number
                f"{untyped},x,1,{MINGYUAN},,,,,reject",  # line 9: rejected ...
                f"{untyped},x,1,{MINGYUAN},,,,,accept",  # line 10: ... and accepted
                f"{xizi},x,1,,,,,,accept",  # line 11: accept without a company: xizi is also rejected on line 5
            ]
        )
        + "\n",
    )
    result = runner.invoke(app, ["review", "apply", str(path)])
    assert result.exit_code == 2, result.output
    out = result.output
    assert f"lines 2, 3: request {pinyin} is accepted 2 times" in out
    assert "line 4: unknown decision 'yes'" in out
    assert "line 6: request 999999999999 is not under review" in out
    assert "line 8: request_id 'abc' is not a number" in out
    assert f"lines 9, 10: request {untyped} is both accepted and rejected" in out
    assert "line 11: accept without a company_id" in out
    assert "line 7" not in out and "line 5:" not in out
    assert "6 problem(s); nothing was applied" in out
    for rid in (pinyin, untyped, xizi):
        assert request_state(conn, rid) == ("review", None, None)

    not_a_candidate = write(tmp_path / "other.csv", f"request_id,company_id,decision\n{xizi},{CHANGCHENG},accept\n")
    result = runner.invoke(app, ["review", "apply", str(not_a_candidate)])
    assert result.exit_code == 2
    assert f"line 2: company {CHANGCHENG} is not one of request {xizi}'s candidates ({XIZI})" in result.output

    missing_column = write(tmp_path / "cols.csv", "request_id,company_id\n1,2\n")
    result = runner.invoke(app, ["review", "apply", str(missing_column)])
    assert result.exit_code == 2 and "missing column(s) decision" in result.output


def test_review_apply_rolls_the_whole_file_back_when_a_decision_lost_a_race(
    env: dict[str, str], under_review: dict[str, int], names: Names, conn: Conn, tmp_path: Path, db_uri: str
) -> None:
    """Someone rejects the misspelling's request after the file was checked (their transaction is open while apply
    checks the file, and commits while apply waits for the row): apply gets CE003, names the line, and rolls back
    the decision it had already made (the pinyin request, the lower id, is decided first)."""
    pinyin, xizi = under_review[names.pinyin], under_review[names.xizi]
    assert pinyin < xizi
    path, rows = export(tmp_path)
    fill(path, rows, {(xizi, XIZI): "accept", (pinyin, CHANGCHENG): "accept"})
    xizi_line = 2 + next(i for i, r in enumerate(rows) if r["company_id"] == XIZI)
    with psycopg.connect(db_uri) as other:
        other.execute("SELECT enterprise.reject_lookup(%s)", (xizi,))
        timer = threading.Timer(1.0, other.commit)
        timer.start()
        result = runner.invoke(app, ["review", "apply", str(path)])
        timer.join()
    assert result.exit_code == 1, result.output
    assert f"[CE003]: line {xizi_line}: request {xizi}: lookup request is not under review" in result.output
    assert "nothing was applied" in result.output
    assert request_state(conn, xizi) == ("done", "not_found", None), "the other person's decision stands"
    assert request_state(conn, pinyin) == ("review", None, None), "the file's first decision was rolled back"
    assert learned(conn, names.pinyin) == []


# ------------------------------------------------------------------------------------- status, profiles


def test_status_shows_the_review_count(env: dict[str, str], under_review: dict[str, int]) -> None:
    result = runner.invoke(app, ["status"])
    assert result.exit_code == 0, result.output
    assert any(line.split()[:3] == ["│", "review", "│"] and "3" in line for line in result.output.splitlines()), (
        result.output
    )
    assert "3 request(s) wait for a person: company-enrichment review list" in result.output


def test_resolve_with_profile_adds_the_official_name_and_code_per_chunk(
    env: dict[str, str],
    standin: EQCStandin,
    names: Names,
    tmp_path: Path,
    empty_queue: None,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    runner.invoke(
        app,
        [
            "mappings",
            "import",
            str(write(tmp_path / "m.csv", f"alias_name,canonical_id,match_type\n{names.tag}-P,622222229,plan\n")),
        ],
    )
    records = write(
        tmp_path / "in.csv",
        "plan_code,customer_name\n"
        f",{names.hailian}\n"  # looked up inline (budget 1): found, EQC's profile
        f"{names.tag}-P,\n"  # curated: an id EQC never returned, empty cells
        f"{names.tag}-X,\n"  # a TEMP id, empty cells
        f",{names.tag}没有的公司\n"  # pending, no id
        f",{names.hailian}\n",
    )
    calls: list[list[str]] = []
    original = EnrichmentDB.company_profiles

    def counted(self: EnrichmentDB, ids: list[str]) -> Any:
        calls.append(list(ids))
        return original(self, ids)

    monkeypatch.setattr(EnrichmentDB, "company_profiles", counted)
    out = tmp_path / "out.csv"
    result = runner.invoke(
        app, ["resolve", str(records), "-o", str(out), "--budget", "1", "--with-profile", "--batch-size", "3"]
    )
    assert result.exit_code == 0, result.output
    rows = read_rows(out)
    assert list(rows[0])[-2:] == ["full_name", "unite_code"]
    assert [(r["status"], r["company_id"] if r["status"] != "temp_assigned" else "TEMP") for r in rows] == [
        ("success_external", HAILIAN),
        ("success_internal", "622222229"),
        ("temp_assigned", "TEMP"),
        ("pending_lookup", ""),
        ("success_external", HAILIAN),
    ]
    assert [(r["full_name"], r["unite_code"]) for r in rows] == [
        (names.hailian, "91330200000000002B"),
        ("", ""),
        ("", ""),
        ("", ""),
        (names.hailian, "91330200000000002B"),
    ]
    # Two chunks (3 + 2 records), one call each, TEMP ids never asked for.
    assert calls == [sorted([HAILIAN, "622222229"]), [HAILIAN]]

    without = runner.invoke(app, ["resolve", str(records), "-o", str(out)])
    assert without.exit_code == 0
    assert "full_name" not in read_rows(out)[0]
