"""Hostile and bad input (issue 6), against the real database.

* Property-based (hypothesis) tests of the SQL API with arbitrary Unicode names: normalize_name is idempotent,
  resolution answers one of the four statuses with consistent fields, the batch equals the single-row call and
  the preview equals the batch, and SQL-looking text is stored and matched literally.
* Inputs the client cannot send (lone surrogates, NUL bytes): a clear error, nothing written.
* 10,000-character values: a documented answer or a documented error.
* Every public SQL function with all-NULL arguments, and a table of out-of-range arguments: a documented
  SQLSTATE (22023, 22001, CE001, CE002) or a documented result, never anything else (XX000, 54000, 23xxx...).
* Malformed CSV files for ``resolve`` and ``mappings import``: an error naming the line, nothing written.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from company_enrichment.cli import app
from company_enrichment.db import EnrichmentDB
from company_enrichment.errors import CompanyEnrichmentError, DatabaseError
from company_enrichment.models import CompanyRecord, MappingRow
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

Conn = psycopg.Connection[tuple[Any, ...]]
STATUSES = {"success_internal", "success_external", "pending_lookup", "temp_assigned"}
DOCUMENTED = {"22023", "22001", "CE001", "CE002", "CE006"}
TEMP_ID = re.compile(r"^TEMP_[0-9]{6,}$")
ID_PREFIX = "HYP"  # canonical ids written by this module, removed at its end

HYPOTHESIS = settings(
    deadline=None,
    database=None,  # no .hypothesis/ directory in the checkout
    suppress_health_check=[HealthCheck.too_slow],
)

# fmt: off
SPECIAL = [
    # combining marks
    "\u0301", "\u0308", "\u20dd", "\u0345", "\u0327",
    # right-to-left letters, marks and overrides
    "\u05e9", "\u0639", "\u200f", "\u202e", "\u2067",
    # emoji, a ZWJ sequence, a flag, a variation selector
    "\U0001f600", "\U0001f468\u200d\U0001f469\u200d\U0001f467", "\U0001f1e8\U0001f1f3", "\ufe0f",
    # control characters and odd line breaks
    "\x01", "\x1f", "\x7f", "\x85", "\u2028", "\t", "\n", "\r",
    # spaces, zero-width characters, BOM
    "\u3000", "\u00a0", "\u200b", "\u2060", "\ufeff", " ",
    # full width, brackets, quotes
    "Ａ", "ｂ", "（", "）", "【", "】", "[", "]", "「", "」", "『", "』", '"', "“", "”", "(", ")",
    # decorations, separators, placeholders
    "已转出", "转出", "注销", "存续", "-", "—", "–", "_", ":", "·", ".", "。", "null", "n/a", "无", "空白", "/",
    # case folding and compatibility oddities
    "ß", "İ", "ǅ", "ﬁ", "´", "¨", "K", "Ω", "①", "℡", "ｶ", "ﾞ",
    # ordinary text and SQL/format metacharacters
    "中国平安", "公司", "abc", "'", ";", "--", "%", "%s", "_", "\\", "$$",
]
# fmt: on

ANY_CHAR = st.characters(exclude_categories=["Cs"], exclude_characters="\x00")
# Brackets nested in brackets, of every kind normalize_name unifies, around text that often vanishes (spaces,
# quote marks): "(())a", "【（ ）】公司". Removing the inner pair of empty brackets leaves another one.
OPENING = ["(", "（", "[", "【", "〔", "〖", "［"]
CLOSING = [")", "）", "]", "】", "〕", "〗", "］"]
VANISHING = ["", " ", "\u3000", "\u200b", '"', "「", "」", "“"]
NESTED = st.recursive(
    st.sampled_from(VANISHING + SPECIAL),
    lambda inner: st.builds(
        lambda opening, parts, closing: opening + "".join(parts) + closing,
        st.sampled_from(OPENING),
        st.lists(inner, max_size=3),
        st.sampled_from(CLOSING),
    ),
    max_leaves=8,
)
NAMES = st.one_of(
    st.text(ANY_CHAR, max_size=40),
    st.lists(st.sampled_from(SPECIAL), max_size=14).map("".join),
    st.lists(NESTED, min_size=1, max_size=5).map("".join),
    st.text(ANY_CHAR, min_size=240, max_size=300),
)

INJECTIONS = [
    "'); DROP TABLE enterprise.company_mapping; --",
    "' OR '1'='1",
    '"; DELETE FROM enterprise.lookup_requests; --',
    "$$; DROP SCHEMA enterprise CASCADE; $$",
    "'||pg_sleep(5)||'",
    "%(name)s",
    "%s %s",
    "{0}",
    "\\'; SELECT 1; --",
    "E'\\\\x41'",
    "/* */ UNION SELECT * FROM pg_authid --",
]
LITERALS = st.builds(
    lambda a, injection, b: a + injection + b,
    st.text(ANY_CHAR, max_size=6),
    st.sampled_from(INJECTIONS),
    st.text(ANY_CHAR, max_size=6),
)


def incompressible(n: int, seed: int = 6) -> str:
    """n CJK characters in no pattern: too big for a btree entry even after compression."""
    rng = random.Random(seed)
    return "".join(chr(rng.randint(0x4E00, 0x9FA5)) for _ in range(n))


# --------------------------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def hconn(db_uri: str) -> Iterator[Conn]:
    """One connection for the module; the rows the module's properties create are removed at its end."""
    with psycopg.connect(db_uri, autocommit=True) as conn:
        row = conn.execute("SELECT coalesce(max(id), 0) FROM enterprise.lookup_requests").fetchone()
        assert row is not None
        yield conn
        conn.execute("DELETE FROM enterprise.lookup_requests WHERE id > %s", (row[0],))
        conn.execute("DELETE FROM enterprise.company_mapping WHERE canonical_id LIKE %s", (f"{ID_PREFIX}%",))


@pytest.fixture(scope="module")
def hdb(db_uri: str, hconn: Conn) -> Iterator[EnrichmentDB]:
    with EnrichmentDB.connect(db_uri, max_size=2) as db:
        yield db


def one(conn: Conn, sql: str, *params: Any) -> tuple[Any, ...]:
    row = conn.execute(sql, params).fetchone()
    assert row is not None
    return row


def counts(conn: Conn) -> tuple[Any, ...]:
    return one(
        conn,
        "SELECT (SELECT count(*) FROM enterprise.lookup_requests), (SELECT count(*) FROM enterprise.company_mapping),"
        " (SELECT count(*) FROM enterprise.temp_id_assignments), (SELECT last_value FROM enterprise.temp_id_seq)",
    )


def sqlstate_of(conn: Conn, sql: str, *params: Any) -> str:
    """'ok' or the SQLSTATE of the error; the call is rolled back either way."""
    try:
        with conn.transaction(force_rollback=True):
            conn.execute(sql, params).fetchall()
    except psycopg.Error as exc:
        return exc.sqlstate or f"client:{type(exc).__name__}"
    return "ok"


# ----------------------------------------------------------------------------------- normalize_name


@settings(HYPOTHESIS, max_examples=300)
@example(name="a\u00b4")  # NFKC gives "a" + space + U+0301; dropping the space leaves an unnormalized pair
@example(name="e\u200b\u0301")  # the same through a zero-width space
@example(name="（已转出）中国平安-注销。")
@example(name="(())a")  # review item 5: one pass of removing "()" left "()a"
@given(name=NAMES)
def test_normalize_name_is_idempotent(hconn: Conn, name: str) -> None:
    once, twice = one(
        hconn, "SELECT n, enterprise.normalize_name(n) FROM (SELECT enterprise.normalize_name(%s) AS n) AS s", name
    )
    assert isinstance(once, str)
    assert twice == once, f"normalize({name!r}) = {once!r} but normalize of that = {twice!r}"


def test_normalize_name_of_null_is_null(hconn: Conn) -> None:
    assert one(hconn, "SELECT enterprise.normalize_name(NULL)") == (None,)


# -------------------------------------------------------------------------------------------- resolution


def check_answer(row: tuple[Any, ...]) -> None:
    company_id, status, source, match_type, temp_id, request_id = row
    assert status in STATUSES, row
    if status == "success_internal":
        assert company_id and source in {"plan", "account", "hardcode", "name", "account_name"}, row
        assert match_type == source and temp_id is None and request_id is None, row
    elif status == "success_external":
        assert company_id and source == "EQC" and temp_id is None and request_id is None, row
    elif status == "pending_lookup":
        assert company_id is None and source == "queued" and temp_id is None and request_id is not None, row
    else:
        assert source == "generated" and company_id == temp_id and TEMP_ID.match(temp_id or ""), row
        assert request_id is None, row


COLUMNS = "company_id, status, source, match_type, temp_id, request_id"


@settings(HYPOTHESIS, max_examples=60)
@given(names=st.lists(NAMES, min_size=1, max_size=4), seed=st.integers(0, 10**9))
def test_resolution_of_arbitrary_names_is_one_of_four_and_batch_equals_single(
    hconn: Conn, names: list[str], seed: int
) -> None:
    plan = f"{ID_PREFIX}-P{seed}"
    records: list[tuple[str | None, str | None, str | None, str | None]] = []
    for i, name in enumerate(names):
        records += [
            (None, name, None, None),
            (f"{plan}-{i}", name, None, None),
            (None, f"  {name}（已注销）", None, f"{plan}-A{i}"),
            (f"{plan}-{i}b", None, name, None),
        ]
    keys = [
        one(
            hconn,
            "SELECT coalesce(nullif(btrim(%s), ''), nullif(btrim(%s), ''), nullif(enterprise.normalize_name(%s), ''),"
            " nullif(enterprise.normalize_name(%s), ''))",
            plan_code,
            account_number,
            customer_name,
            account_name,
        )[0]
        for plan_code, customer_name, account_name, account_number in records
    ]
    # A record with no usable field gets a fresh TEMP id on every call; compare everything else.
    fresh = [k is None for k in keys]

    singles = [
        one(
            hconn,
            f"SELECT {COLUMNS} FROM enterprise.resolve_company_id(plan_code => %s, customer_name => %s,"
            " account_name => %s, account_number => %s)",
            *record,
        )
        for record in records
    ]
    columns = [list(c) for c in zip(*records, strict=True)]
    batch = hconn.execute(
        f"SELECT {COLUMNS} FROM enterprise.resolve_company_ids(plan_codes => %s::text[], customer_names => %s::text[],"
        " account_names => %s::text[], account_numbers => %s::text[]) ORDER BY ordinal",
        columns,
    ).fetchall()
    preview = hconn.execute(
        f"SELECT {COLUMNS} FROM enterprise.preview_company_ids(plan_codes => %s::text[], customer_names => %s::text[],"
        " account_names => %s::text[], account_numbers => %s::text[]) ORDER BY ordinal",
        columns,
    ).fetchall()
    assert len(batch) == len(preview) == len(records)
    for record, is_fresh, single, batched, previewed in zip(records, fresh, singles, batch, preview, strict=True):
        check_answer(single)
        check_answer(batched)
        if is_fresh:
            assert single[1:4] == batched[1:4] == ("temp_assigned", "generated", None), (record, single, batched)
            assert single[0] != batched[0], "a record with no field at all gets a fresh TEMP id each time"
            assert previewed[1:4] == ("temp_assigned", "generated", None), (record, previewed)
        else:
            assert batched == single, f"batch != single for {record!r}: {batched} vs {single}"
            assert previewed == batched, f"preview != resolve for {record!r}: {previewed} vs {batched}"


@settings(HYPOTHESIS, max_examples=60)
@example(text="'); DROP TABLE enterprise.company_mapping; --", n=1)
@given(text=LITERALS, n=st.integers(0, 10**9))
def test_sql_text_is_stored_and_matched_literally(hconn: Conn, hdb: EnrichmentDB, text: str, n: int) -> None:
    canonical = f"{ID_PREFIX}{n}"
    key = one(hconn, "SELECT enterprise.normalize_name(%s)", text)[0]
    outcome = hdb.cache_company_mapping(text, canonical)
    assert outcome in {"inserted", "updated", "unchanged", "skipped_curated"}
    answer = hdb.resolve_company_id(customer_name=text)
    if outcome == "skipped_curated":
        assert answer.status == "success_internal"
    else:
        assert (answer.company_id, answer.status, answer.source) == (canonical, "success_external", "EQC")
    stored = hconn.execute(
        "SELECT alias_name FROM enterprise.company_mapping WHERE match_type = 'name' AND source = 'EQC'"
        " AND lookup_key = %s",
        (key,),
    ).fetchall()
    if outcome != "skipped_curated":
        assert len(stored) == 1 and enterprise_normalize(hconn, stored[0][0]) == key

    loaded = hdb.upsert_internal_mappings([MappingRow(alias_name=text, canonical_id=canonical, match_type="plan")])
    assert loaded.inserted + loaded.updated + loaded.unchanged == 1
    by_plan = hdb.resolve_company_id(plan_code=text)
    assert (by_plan.company_id, by_plan.status, by_plan.source) == (canonical, "success_internal", "plan")
    assert hconn.execute(
        "SELECT count(*) FROM enterprise.company_mapping WHERE match_type = 'plan' AND alias_name = btrim(%s)",
        (text,),
    ).fetchone() == (1,), "stored as given (trimmed)"
    assert one(hconn, "SELECT to_regclass('enterprise.company_mapping') IS NOT NULL") == (True,)


def enterprise_normalize(conn: Conn, text: str) -> str:
    return str(one(conn, "SELECT enterprise.normalize_name(%s)", text)[0])


# --------------------------------------------------------------------------------- what cannot be sent


CLIENT_CALLS: list[tuple[str, Callable[[EnrichmentDB, str], object]]] = [
    ("resolve_company_id", lambda db, bad: db.resolve_company_id(customer_name=bad)),
    ("resolve_company_id plan", lambda db, bad: db.resolve_company_id(plan_code=bad)),
    (
        "resolve_company_ids",
        lambda db, bad: db.resolve_company_ids(
            [CompanyRecord(customer_name=f"{ID_PREFIX}好名字公司"), CompanyRecord(customer_name=bad)]
        ),
    ),
    ("preview_company_ids", lambda db, bad: db.preview_company_ids([CompanyRecord(account_name=bad)])),
    ("enqueue_lookup", lambda db, bad: db.enqueue_lookup(bad)),
    ("cache_company_mapping", lambda db, bad: db.cache_company_mapping(bad, f"{ID_PREFIX}1")),
    (
        "upsert_internal_mappings",
        lambda db, bad: db.upsert_internal_mappings(
            [
                MappingRow(alias_name=f"{ID_PREFIX}-good", canonical_id=f"{ID_PREFIX}2", match_type="plan"),
                MappingRow(alias_name=bad, canonical_id=f"{ID_PREFIX}3", match_type="name"),
            ]
        ),
    ),
    ("normalize_names", lambda db, bad: db.normalize_names(["ok", bad])),
]


@pytest.mark.parametrize(("what", "call"), CLIENT_CALLS, ids=[c[0] for c in CLIENT_CALLS])
@pytest.mark.parametrize("bad", ["\ud800", "中国\udfff平安", "\udc80abc"], ids=["high", "low-in-name", "low-first"])
def test_lone_surrogates_raise_a_clear_error_and_write_nothing(
    hconn: Conn, hdb: EnrichmentDB, what: str, call: Callable[[EnrichmentDB, str], object], bad: str
) -> None:
    before = counts(hconn)
    with pytest.raises((UnicodeEncodeError, CompanyEnrichmentError)) as raised:
        call(hdb, bad)
    assert "surrogates not allowed" in str(raised.value), f"{what}: {raised.value!r}"
    assert counts(hconn) == before, f"{what} wrote something"
    assert hdb.normalize_names(["ＡＢＣ"]) == ["abc"], "the pool is still usable"


@pytest.mark.parametrize(("what", "call"), CLIENT_CALLS, ids=[c[0] for c in CLIENT_CALLS])
@pytest.mark.parametrize("bad", ["\x00", "中国\x00平安", "abc\x00"], ids=["only", "inside", "end"])
def test_nul_bytes_raise_a_clear_error_and_write_nothing(
    hconn: Conn, hdb: EnrichmentDB, what: str, call: Callable[[EnrichmentDB, str], object], bad: str
) -> None:
    before = counts(hconn)
    with pytest.raises(DatabaseError) as raised:
        call(hdb, bad)
    assert "cannot contain NUL (0x00) bytes" in str(raised.value), f"{what}: {raised.value!r}"
    assert counts(hconn) == before, f"{what} wrote something"
    assert hdb.normalize_names(["ＡＢＣ"]) == ["abc"], "the pool is still usable"


# ----------------------------------------------------------------------------------- 10,000 characters


LONG_VALUES = {"repetitive": "很" * 10_000, "incompressible": incompressible(10_000)}


@pytest.mark.parametrize("kind", list(LONG_VALUES))
@pytest.mark.parametrize("column", ["customer_name", "plan_code", "account_number", "account_name"])
def test_a_ten_thousand_character_value_resolves_to_a_documented_answer(hconn: Conn, kind: str, column: str) -> None:
    """resolve_company_id 'raises nothing on any input' (its COMMENT); a value this long is just an unknown one."""
    value = LONG_VALUES[kind] + column  # distinct per column, so no test sees another's TEMP id
    state = sqlstate_of(hconn, f"SELECT * FROM enterprise.resolve_company_id({column} => %s)", value)
    assert state == "ok", f"resolve_company_id({column} => <10,000 {kind} characters>) raised {state}"
    row = one(hconn, f"SELECT {COLUMNS} FROM enterprise.resolve_company_id({column} => %s)", value)
    check_answer(row)
    assert row[1] == "temp_assigned", "too long to cache or look up: a TEMP id"
    again = one(hconn, f"SELECT {COLUMNS} FROM enterprise.resolve_company_id({column} => %s)", value)
    assert again == row, "and the same one every time"


@pytest.mark.parametrize("kind", list(LONG_VALUES))
@pytest.mark.parametrize(
    ("call", "expected"),
    [
        ("SELECT enterprise.enqueue_lookup(name => %s)", "22001"),
        ("SELECT enterprise.cache_company_mapping(alias_name => %s, canonical_id => '1')", "22001"),
        ("SELECT enterprise.cache_company_mapping(alias_name => 'x', canonical_id => %s)", "22001"),
        (
            "SELECT enterprise.upsert_internal_mappings(alias_names => ARRAY[%s], canonical_ids => ARRAY['1'],"
            " match_types => ARRAY['plan'])",
            "22001",
        ),
        ("SELECT enterprise.acquire_eqc_permit(rate_per_minute => 10, bucket => %s)", "ok|22023|22001"),
        ("SELECT enterprise.claim_lookups(batch_size => 1, worker => %s)", "22023"),
        ("SELECT enterprise.release_lookups(worker => %s)", "22023"),
    ],
)
def test_a_ten_thousand_character_argument_gets_a_documented_error(
    hconn: Conn, kind: str, call: str, expected: str
) -> None:
    state = sqlstate_of(hconn, call, LONG_VALUES[kind])
    assert state in expected.split("|"), f"{call} with 10,000 {kind} characters: {state}, expected {expected}"


# ------------------------------------------------------------------------- every public function, NULLs


def public_functions(conn: Conn) -> list[tuple[str, list[str]]]:
    rows = conn.execute(
        "SELECT p.proname, array(SELECT format_type(t, NULL) FROM unnest(p.proargtypes) WITH ORDINALITY AS a(t, i)"
        " ORDER BY i) FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace"
        " WHERE n.nspname = 'enterprise' AND p.proname NOT LIKE '\\_%' AND p.prokind = 'f'"
        " AND p.prorettype <> 'trigger'::regtype ORDER BY 1"
    ).fetchall()
    return [(str(name), list(types)) for name, types in rows]


def test_every_public_function_called_with_all_nulls_answers_or_raises_a_documented_error(hconn: Conn) -> None:
    functions = public_functions(hconn)
    assert len(functions) >= 19, functions
    outcomes = {}
    for name, types in functions:
        args = ", ".join(f"NULL::{t}" for t in types)
        outcomes[name] = sqlstate_of(hconn, f"SELECT * FROM enterprise.{name}({args})")
    undocumented = {name: state for name, state in outcomes.items() if state != "ok" and state not in DOCUMENTED}
    assert undocumented == {}, f"undocumented errors: {undocumented} (all outcomes: {outcomes})"
    # What the README and the function comments promise for NULLs:
    expected = {
        "normalize_name": "ok",
        "resolve_company_id": "ok",
        "resolve_company_ids": "ok",
        "preview_company_ids": "ok",
        "explain_company_id": "ok",  # a record with no field: explained like any other
        "next_temp_id": "ok",
        "configure_lookup_queue": "ok",  # NULL keeps each setting
        "enqueue_lookup": "22023",
        "claim_lookups": "22023",
        "claim_lookup": "22023",
        "complete_lookup": "22023",
        "complete_lookups": "22023",
        "complete_lookup_not_found": "22023",
        "fail_lookup": "22023",
        "release_lookups": "22023",
        "requeue_failed": "22023",
        "prune_lookup_requests": "22023",
        "cache_company_mapping": "22023",
        "upsert_internal_mappings": "22023",
        "acquire_eqc_permit": "22023",
        "mapping_history": "22023",
        "mapping_change_sets": "22023",
        "revert_mapping_change_set": "CE006",  # no change set has the id NULL
        "review_requests": "22023",  # max_rows NULL
        "search_mappings": "22023",  # no filter
        "failed_lookups": "22023",  # max_rows NULL
    }
    assert {k: outcomes.get(k) for k in expected} == expected


def test_all_null_results_are_the_documented_ones(hconn: Conn) -> None:
    assert one(hconn, "SELECT enterprise.normalize_name(NULL)") == (None,)
    single = one(hconn, f"SELECT {COLUMNS} FROM enterprise.resolve_company_id(NULL, NULL, NULL, NULL)")
    check_answer(single)
    assert single[1] == "temp_assigned", "a record with no field: a fresh TEMP id"
    assert hconn.execute("SELECT * FROM enterprise.resolve_company_ids(NULL, NULL, NULL, NULL)").fetchall() == []
    assert hconn.execute("SELECT * FROM enterprise.preview_company_ids(NULL, NULL, NULL, NULL)").fetchall() == []
    with hconn.transaction(force_rollback=True):
        before = one(hconn, "SELECT max_attempts, default_lease FROM enterprise.queue_settings")
        hconn.execute("SELECT enterprise.configure_lookup_queue(NULL, NULL, NULL, NULL, NULL, NULL)")
        assert one(hconn, "SELECT max_attempts, default_lease FROM enterprise.queue_settings") == before


OUT_OF_RANGE: list[tuple[str, str]] = [
    ("SELECT enterprise.claim_lookups(batch_size => 0, worker => 'w')", "22023"),
    ("SELECT enterprise.claim_lookups(batch_size => 501, worker => 'w')", "22023"),
    ("SELECT enterprise.claim_lookups(batch_size => -2147483648, worker => 'w')", "22023"),
    ("SELECT enterprise.claim_lookups(batch_size => 1, worker => '')", "22023"),
    ("SELECT enterprise.claim_lookups(batch_size => 1, worker => '   ')", "22023"),
    ("SELECT enterprise.claim_lookups(batch_size => 1, worker => repeat('w', 201))", "22023"),
    ("SELECT enterprise.claim_lookups(batch_size => 1, worker => 'w', lease => interval '0')", "22023"),
    ("SELECT enterprise.claim_lookups(batch_size => 1, worker => 'w', lease => interval '-1 second')", "22023"),
    ("SELECT enterprise.claim_lookups(batch_size => 1, worker => 'w', lease => interval '2 days')", "22023"),
    ("SELECT enterprise.claim_lookups(batch_size => 1, worker => 'w', max_attempts => 0)", "22023"),
    ("SELECT enterprise.claim_lookup(request_id => -1, worker => 'w')", "ok"),
    ("SELECT enterprise.claim_lookup(request_id => 1, worker => '')", "22023"),
    ("SELECT enterprise.claim_lookup(request_id => 1, worker => 'w', lease => interval '-1 hour')", "22023"),
    ("SELECT enterprise.complete_lookup(request_id => -1, worker => 'w', canonical_id => '1')", "CE002"),
    (
        "SELECT enterprise.complete_lookup(request_id => 9223372036854775807, worker => 'w', canonical_id => '1')",
        "CE002",
    ),
    ("SELECT enterprise.complete_lookup_not_found(request_id => -1, worker => 'w')", "CE002"),
    ("SELECT enterprise.complete_lookups(worker => 'w', request_ids => ARRAY[-1], canonical_ids => ARRAY['1'])", "ok"),
    (
        "SELECT enterprise.complete_lookups(worker => 'w', request_ids => ARRAY[1, 2], canonical_ids => ARRAY['1'])",
        "22023",
    ),
    (
        "SELECT enterprise.complete_lookups(worker => 'w', request_ids => ARRAY[[1]], canonical_ids => ARRAY[['1']])",
        "22023",
    ),
    ("SELECT enterprise.complete_lookups(worker => '', request_ids => ARRAY[1], canonical_ids => ARRAY['1'])", "22023"),
    ("SELECT enterprise.fail_lookup(request_id => -1, worker => 'w', error => 'e')", "CE002"),
    ("SELECT enterprise.fail_lookup(request_id => -1, worker => 'w', error => 'e', retry_after => '-1 s')", "22023"),
    ("SELECT enterprise.fail_lookup(request_id => -1, worker => 'w', error => 'e', max_attempts => 0)", "22023"),
    ("SELECT enterprise.fail_lookup(request_id => -1, worker => 'w', error => 'e', backoff_base => '-1 s')", "22023"),
    ("SELECT enterprise.release_lookups(worker => '')", "22023"),
    ("SELECT enterprise.release_lookups(worker => 'w', request_ids => '{}')", "ok"),
    ("SELECT enterprise.release_lookups(worker => 'w', request_ids => ARRAY[-1, NULL])", "ok"),
    ("SELECT enterprise.requeue_failed(older_than => interval '-1 second')", "22023"),
    ("SELECT enterprise.prune_lookup_requests(older_than => interval '-1 day')", "22023"),
    ("SELECT enterprise.prune_lookup_requests(older_than => interval '1 day', batch_size => 0)", "22023"),
    ("SELECT enterprise.prune_lookup_requests(older_than => interval '1 day', max_rows => -1)", "22023"),
    ("SELECT enterprise.configure_lookup_queue(max_attempts => 0)", "22023"),
    ("SELECT enterprise.configure_lookup_queue(max_attempts => 101)", "22023"),
    ("SELECT enterprise.configure_lookup_queue(default_lease => interval '0')", "22023"),
    ("SELECT enterprise.configure_lookup_queue(default_lease => interval '2 days')", "22023"),
    ("SELECT enterprise.configure_lookup_queue(backoff_base => interval '7 hours')", "22023"),
    ("SELECT enterprise.configure_lookup_queue(backoff_cap => interval '1 second')", "22023"),
    ("SELECT enterprise.configure_lookup_queue(negative_cache_period => interval '-1 day')", "22023"),
    ("SELECT enterprise.configure_lookup_queue(failed_retry_after => interval '-1 day')", "22023"),
    ("SELECT enterprise.acquire_eqc_permit(rate_per_minute => 0)", "22023"),
    ("SELECT enterprise.acquire_eqc_permit(rate_per_minute => 60001)", "22023"),
    ("SELECT enterprise.acquire_eqc_permit(rate_per_minute => 10, bucket => '')", "22023"),
    ("SELECT enterprise.enqueue_lookup(name => '')", "22023"),
    ("SELECT enterprise.enqueue_lookup(name => ' n/a ')", "22023"),
    ("SELECT enterprise.enqueue_lookup(name => '（已注销）')", "22023"),
    ("SELECT enterprise.enqueue_lookup(name => repeat('长', 256))", "22001"),
    ("SELECT enterprise.cache_company_mapping(alias_name => repeat('a', 256), canonical_id => '1')", "22001"),
    ("SELECT enterprise.cache_company_mapping(alias_name => 'a', canonical_id => repeat('1', 51))", "22001"),
    ("SELECT enterprise.cache_company_mapping(alias_name => 'a', canonical_id => '  ')", "22023"),
    ("SELECT enterprise.cache_company_mapping(alias_name => '无', canonical_id => '1')", "22023"),
    ("SELECT enterprise.cache_company_mapping(alias_name => 'a', canonical_id => '1', source => 'internal')", "22023"),
    (
        "SELECT enterprise.cache_company_mapping(alias_name => 'a', canonical_id => '1', source => repeat('s', 21))",
        "22023",
    ),
    ("SELECT enterprise.upsert_internal_mappings(ARRAY['a', 'b'], ARRAY['1'], ARRAY['plan', 'plan'])", "22023"),
    ("SELECT enterprise.upsert_internal_mappings(ARRAY[['a']], ARRAY[['1']], ARRAY[['plan']])", "22023"),
    ("SELECT enterprise.upsert_internal_mappings(ARRAY['a'], ARRAY['1'], ARRAY['planet'])", "22023"),
    ("SELECT enterprise.upsert_internal_mappings(ARRAY['a'], ARRAY['1'], ARRAY[NULL])", "22023"),
    ("SELECT enterprise.upsert_internal_mappings(ARRAY['a', 'a'], ARRAY['1', '2'], ARRAY['plan', 'plan'])", "22023"),
    ("SELECT enterprise.upsert_internal_mappings(ARRAY[repeat('a', 256)], ARRAY['1'], ARRAY['plan'])", "22001"),
    ("SELECT enterprise.upsert_internal_mappings(ARRAY['a'], ARRAY[repeat('1', 51)], ARRAY['plan'])", "22001"),
    ("SELECT enterprise.upsert_internal_mappings('{}', '{}', '{}')", "ok"),
    ("SELECT enterprise.resolve_company_ids(plan_codes => ARRAY['a', 'b'], customer_names => ARRAY['c'])", "22023"),
    ("SELECT enterprise.resolve_company_ids(plan_codes => ARRAY[['a']])", "22023"),
    ("SELECT enterprise.resolve_company_ids(plan_codes => '{}')", "ok"),
    ("SELECT enterprise.resolve_company_ids(customer_names => ARRAY[NULL, '', ' ', 'n/a'])", "ok"),
    ("SELECT enterprise.preview_company_ids(account_names => ARRAY['a'], account_numbers => ARRAY['1', '2'])", "22023"),
    ("SELECT enterprise.preview_company_ids(account_names => ARRAY[['a', 'b'], ['c', 'd']])", "22023"),
    ("SELECT enterprise.resolve_company_id(plan_code => '', customer_name => '  ', account_name => E'\\t')", "ok"),
    ("SELECT enterprise.normalize_name(repeat('已转出-', 2000) || '公司' || repeat('（注销）', 2000))", "ok"),
]


@pytest.mark.parametrize(("call", "expected"), OUT_OF_RANGE, ids=[c[0][18:70] for c in OUT_OF_RANGE])
def test_out_of_range_arguments_get_the_documented_sqlstate(hconn: Conn, call: str, expected: str) -> None:
    assert sqlstate_of(hconn, call) == expected


# ----------------------------------------------------------------------------------------- CSV files

runner = CliRunner()


@pytest.fixture
def cli_env(db_uri: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WDH_DATABASE__URI", db_uri)
    monkeypatch.setenv("WDH_COMPANY_ENRICHMENT_ENABLED", "false")
    monkeypatch.setenv("WDH_EQC_TOKEN", "unused")


def requests_for(db_uri: str, tag: str) -> int:
    with psycopg.connect(db_uri) as conn:
        return int(one(conn, "SELECT count(*) FROM enterprise.lookup_requests WHERE name LIKE %s", f"{tag}%")[0])


def mappings_for(db_uri: str, tag: str) -> int:
    with psycopg.connect(db_uri) as conn:
        return int(one(conn, "SELECT count(*) FROM enterprise.company_mapping WHERE alias_name LIKE %s", f"{tag}%")[0])


def bad_files(tag: str, header: str, good: str) -> list[tuple[str, bytes, str]]:
    """(case, file content, expected message): every file has good rows before the bad one."""
    head = f"{header}\n{good}\n".encode()
    width = header.count(",") + 1
    return [
        ("gbk", head + f"{tag}某公司,,\n".encode("gbk"), "line 3: not valid UTF-8"),
        ("latin-1", head + head[len(header) + 1 :] + "caf\xe9,,\n".encode("latin-1"), "line 4: not valid UTF-8"),
        ("utf-16", f"{header}\n{good}\n".encode("utf-16"), "line 1: "),
        ("surrogate bytes", head + b"\xed\xa0\x80abc,,\n", "line 3: not valid UTF-8"),
        ("missing columns", b"nothing,useful\n" + good.encode() + b"\n", "line 1: missing column(s)"),
        ("too few fields", head + b"onlyone\n", f"line 3: expected {width} fields as in the header, found 1"),
        (
            "too many fields",
            head + head[len(header) + 1 :] + b"a,b,c,d,e\n",
            f"line 4: expected {width} fields as in the header, found 5",
        ),
        ("unclosed quote", head + b'"unclosed,x,y\n' + head[len(header) + 1 :], "line 3: malformed CSV"),
        ("NUL byte", head + b"a\x00b,,\n", "line 3: contains a NUL byte"),
        ("empty", b"", "line 1: the file is empty"),
        ("BOM only", b"\xef\xbb\xbf", "line 1: the file is empty"),
        ("duplicate header", f"{header},{header.split(',')[0]}\n".encode(), "line 1: duplicate column(s)"),
    ]


RESOLVE_HEADER = "customer_name,plan_code,account_name"
MAPPING_HEADER = "alias_name,canonical_id,match_type"


@pytest.mark.parametrize("case", [c[0] for c in bad_files("t", RESOLVE_HEADER, "x,y,z")])
def test_resolve_rejects_a_malformed_csv_naming_the_line_and_writes_nothing(
    cli_env: None, db_uri: str, tmp_path: Path, tag: str, case: str
) -> None:
    content, message = {c: (b, m) for c, b, m in bad_files(tag, RESOLVE_HEADER, f"{tag}好公司,,")}[case]
    source = tmp_path / "in.csv"
    source.write_bytes(content)
    out = tmp_path / "out.csv"
    result = runner.invoke(app, ["resolve", str(source), "-o", str(out)])
    assert result.exit_code == 1, result.output
    assert message in result.output, result.output
    assert sorted(tmp_path.iterdir()) == [source], "no output, no temporary file"
    assert requests_for(db_uri, tag) == 0, "the good rows before the bad one were not resolved either"


@pytest.mark.parametrize("case", [c[0] for c in bad_files("t", MAPPING_HEADER, "x,1,plan")])
def test_mappings_import_rejects_a_malformed_csv_naming_the_line_and_writes_nothing(
    cli_env: None, db_uri: str, tmp_path: Path, tag: str, case: str
) -> None:
    files = bad_files(tag, MAPPING_HEADER, f"{tag}-GOOD,{ID_PREFIX}1,plan")
    content, message = {c: (b, m) for c, b, m in files}[case]
    if case == "missing columns":
        message = "line 1: missing column(s) alias_name, canonical_id, match_type"
    source = tmp_path / "m.csv"
    source.write_bytes(content)
    result = runner.invoke(app, ["mappings", "import", str(source)])
    assert result.exit_code == 1, result.output
    assert message in result.output, result.output
    assert mappings_for(db_uri, tag) == 0, "all or nothing"


def test_mappings_import_names_the_line_of_a_row_the_database_refuses(
    cli_env: None, db_uri: str, tmp_path: Path, tag: str
) -> None:
    source = tmp_path / "m.csv"
    source.write_text(
        f"{MAPPING_HEADER}\n{tag}-A,{ID_PREFIX}1,plan\n\n{tag}-B,{ID_PREFIX}2,plan\n"
        f"{tag}-{'x' * 300},{ID_PREFIX}3,plan\n",
        encoding="utf-8",
    )
    result = runner.invoke(app, ["mappings", "import", str(source)])
    assert result.exit_code == 1
    assert "[22001]: alias_name is longer than 255 characters" in result.output
    assert "detail: line 5:" in result.output
    assert mappings_for(db_uri, tag) == 0


def test_a_bom_is_accepted_by_resolve_and_mappings_import(cli_env: None, db_uri: str, tmp_path: Path, tag: str) -> None:
    mappings = tmp_path / "m.csv"
    mappings.write_bytes(f"\ufeff{MAPPING_HEADER}\n{tag}-BOM,{ID_PREFIX}7,plan\n".encode())
    imported = runner.invoke(app, ["mappings", "import", str(mappings)])
    assert imported.exit_code == 0, imported.output
    assert "1 inserted" in imported.output
    records = tmp_path / "in.csv"
    records.write_bytes(f"\ufeffplan_code,note\n{tag}-BOM,x\n".encode())
    out = tmp_path / "out.csv"
    resolved = runner.invoke(app, ["resolve", str(records), "-o", str(out)])
    assert resolved.exit_code == 0, resolved.output
    lines = out.read_text(encoding="utf-8").splitlines()
    header = "plan_code,note,company_id,status,source,match_type,temp_id,request_id"
    assert lines[0] == header, "the BOM is not in the header"
    assert lines[1] == f"{tag}-BOM,x,{ID_PREFIX}7,success_internal,plan,plan,,"
    with psycopg.connect(db_uri, autocommit=True) as conn:
        conn.execute("DELETE FROM enterprise.company_mapping WHERE alias_name = %s", (f"{tag}-BOM",))


@pytest.fixture(scope="module")
def huge_line_file(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A CSV whose line 4 is 200 MB (written in 1 MiB chunks), deleted afterwards."""
    path = tmp_path_factory.mktemp("huge") / "huge.csv"
    chunk = b"x" * (1 << 20)
    with path.open("wb") as f:
        f.write(b"customer_name,plan_code,alias_name,canonical_id,match_type\n")
        f.write(b"HUGE-GOOD-1,P1,HUGE-GOOD-1,HYP1,plan\n")
        f.write(b"HUGE-GOOD-2,P2,HUGE-GOOD-2,HYP2,plan\n")
        for _ in range(200):
            f.write(chunk)
        f.write(b",P3,HUGE,HYP3,plan\nHUGE-GOOD-4,P4,HUGE-GOOD-4,HYP4,plan\n")
    assert path.stat().st_size > 200 * 10**6
    yield path
    path.unlink()


@pytest.mark.parametrize("command", [["resolve"], ["mappings", "import"]], ids=["resolve", "mappings-import"])
def test_a_200_mb_line_is_refused_with_its_line_number(
    cli_env: None, db_uri: str, huge_line_file: Path, tmp_path: Path, command: list[str]
) -> None:
    out = tmp_path / "out.csv"
    args = [*command, str(huge_line_file)] + (["-o", str(out)] if command == ["resolve"] else [])
    result = runner.invoke(app, args)
    assert result.exit_code == 1, result.output
    assert "line 4: line longer than 1048576 bytes" in result.output, result.output
    assert not out.exists() and list(tmp_path.iterdir()) == []
    assert list(huge_line_file.parent.iterdir()) == [huge_line_file], "no temporary file beside the input"
    assert requests_for(db_uri, "HUGE-GOOD") == 0 and mappings_for(db_uri, "HUGE-GOOD") == 0
