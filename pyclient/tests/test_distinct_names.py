"""The distinct-name path of resolution (0.3, issue 12) answers every record exactly as before.

Since 0.3 ``enterprise._lookup_company_ids`` normalizes each distinct customer name of a batch once and probes
each distinct key once (curated name, learned name, the queue), then joins the answers back to the records. The
0.2.1 body did all of it once per record. These tests put the 0.2.1 body back as a temporary function and
compare the two row by row on batches full of repeats: the same name plain, padded and decorated, names behind
plan and account codes, account names, learned names (alone and under a curated one), names queued, failed,
under review and recently not found, over-long names, placeholders, records with no name (TEMP ids keyed on the
record) and with no field at all. Then the batch against one ``resolve_company_id`` call per record: the
repeats of a queued name share one request, the repeats of a TEMP key one TEMP id.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest

Conn = psycopg.Connection[tuple[Any, ...]]
ROOT = Path(__file__).resolve().parents[2]
COLUMNS = "ordinal, company_id, source, match_type, name_key, record_key, customer_name, temp_by_name, live_id,"
COLUMNS += " failed_id, temp_key"
PLACEHOLDERS = {"", "无", "NULL", "N/A"}


def old_lookup_body() -> str:
    """The 0.2.1 _lookup_company_ids as pg_temp.lookup_v021 (same arguments, same columns)."""
    text = (ROOT / "deploy/function_lookup_company_ids@v0.2.1.sql").read_text(encoding="utf-8")
    start = text.index("CREATE OR REPLACE FUNCTION enterprise._lookup_company_ids(")
    end = text.index("\nEND;", start) + len("\nEND;")
    body = text[start:end]
    body = body.replace("enterprise._lookup_company_ids(", "pg_temp.lookup_v021(", 1)
    return body.replace("_lookup_company_ids.", "lookup_v021.")


@pytest.fixture
def tx(db_uri: str) -> Iterator[Conn]:
    """One transaction, rolled back at the end: the fixtures and whatever resolution queued or minted vanish."""
    with psycopg.connect(db_uri) as conn:
        conn.execute(old_lookup_body())
        yield conn
        conn.rollback()


def fixtures(conn: Conn, tag: str) -> dict[str, str]:
    """Mappings and queue states of every kind, under names of this test only. Returns the names by role."""
    n = {
        "curated": f"{tag}甲公司",
        "learned": f"{tag}丙公司",
        "both": f"{tag}丁公司",
        "queued": f"{tag}戊公司",
        "failed": f"{tag}己公司",
        "review": f"{tag}庚公司",
        "not_found": f"{tag}辛公司",
        "unknown": f"{tag}壬公司",
        "account_name": f"{tag}乙年金账户",
        "long": f"{tag}长" * 300,
    }
    conn.execute(
        "SELECT enterprise.upsert_internal_mappings(%s::text[], %s::text[], %s::text[])",
        (
            [n["curated"], n["both"], n["account_name"], f"P-{tag}", f"A-{tag}", f"H-{tag}"],
            ["DN000001", "DN000002", "DN000003", "DN000004", "DN000005", "DN000006"],
            ["name", "name", "account_name", "plan", "account", "hardcode"],
        ),
    )
    conn.execute(
        "SELECT count(*) FROM enterprise._cache_learned_mappings(%s::text[], %s::text[], 'EQC')",
        ([n["learned"], n["both"]], ["DN000007", "DN000008"]),
    )
    conn.execute("SELECT enterprise.enqueue_lookup(name => %s)", (n["queued"],))
    conn.execute(
        "INSERT INTO enterprise.lookup_requests (name, normalized_name, status, attempts, last_failed_at, last_error)"
        " VALUES (%s, enterprise.normalize_name(%s), 'failed', 5, now(), 'test')",
        (n["failed"], n["failed"]),
    )
    conn.execute(
        "INSERT INTO enterprise.lookup_requests (name, normalized_name, status, candidates)"
        " VALUES (%s, enterprise.normalize_name(%s), 'review', '[]')",
        (n["review"], n["review"]),
    )
    conn.execute(
        "INSERT INTO enterprise.lookup_requests (name, normalized_name, status, outcome, completed_at)"
        " VALUES (%s, enterprise.normalize_name(%s), 'done', 'not_found', now() - interval '1 minute')",
        (n["not_found"], n["not_found"]),
    )
    return n


def batch(names: dict[str, str], tag: str, *, size: int = 600, seed: int = 16) -> tuple[list[Any], ...]:
    """``size`` records drawn with repeats from every kind, each name in several spellings."""
    rng = random.Random(seed)
    spellings = []
    for role in ("curated", "learned", "both", "queued", "failed", "review", "not_found", "unknown", "long"):
        name = names[role]
        spellings += [name, f" {name} ", f"{name}-已转出", f"（注销）{name}", f"{name}。"]
    kinds: list[tuple[str | None, str | None, str | None, str | None]] = []
    for _ in range(size):
        r = rng.random()
        name = rng.choice(spellings)
        if r < 0.45:
            kinds.append((None, name, None, None))
        elif r < 0.55:
            kinds.append((rng.choice([f"P-{tag}", f"H-{tag}", f" P-{tag} ", f"NOPLAN-{tag}"]), name, None, None))
        elif r < 0.62:
            kinds.append((None, name, None, rng.choice([f"A-{tag}", f"NOACCOUNT-{tag}"])))
        elif r < 0.72:
            account_name = rng.choice([names["account_name"], f"{names['account_name']} ", f"{tag}无名账户"])
            kinds.append((None, rng.choice([None, name, "", "N/A"]), account_name, None))
        elif r < 0.82:
            kinds.append(
                (
                    rng.choice([f"NOPLAN-{tag}-{rng.randrange(5)}", None]),
                    rng.choice([None, "", "无", "NULL"]),
                    None,
                    rng.choice([None, f"NOACCOUNT-{tag}-{rng.randrange(3)}"]),
                )
            )
        elif r < 0.85:
            kinds.append((None, None, None, None))
        else:
            kinds.append((None, name, rng.choice([None, names["account_name"]]), None))
    return tuple([k[i] for k in kinds] for i in range(4))


def rows(conn: Conn, function: str, columns: tuple[list[Any], ...]) -> list[tuple[Any, ...]]:
    return conn.execute(
        f"SELECT {COLUMNS} FROM {function}(%s::text[], %s::text[], %s::text[], %s::text[]) ORDER BY ordinal",
        columns,
    ).fetchall()


def test_distinct_name_path_equals_the_per_record_body(tx: Conn, tag: str) -> None:
    names = fixtures(tx, tag)
    columns = batch(names, tag)
    new = rows(tx, "enterprise._lookup_company_ids", columns)
    old = rows(tx, "pg_temp.lookup_v021", columns)
    assert len(new) == len(old) == len(columns[0])
    for a, b in zip(new, old, strict=True):
        assert a == b, f"record {a[0]}: 0.3 {a} vs 0.2.1 {b}"
    # The batch covered every case it claims to.
    by_source = {r[2] for r in new}
    assert {"internal", "EQC", None} <= by_source
    assert {r[3] for r in new if r[2] == "internal"} == {"plan", "account", "hardcode", "name", "account_name"}
    assert any(r[7] for r in new) and any(r[8] for r in new) and any(r[9] for r in new)  # temp, live, failed
    assert any(r[5] for r in new)  # a TEMP key made of the record's fields
    assert len({r[4] for r in new if r[4]}) < sum(1 for r in new if r[4])  # names repeat


def test_preview_of_the_batch_equals_the_preview_of_each_record(tx: Conn, tag: str) -> None:
    names = fixtures(tx, tag)
    columns = batch(names, tag, size=200, seed=17)
    whole = tx.execute(
        "SELECT company_id, status, source, match_type, temp_id, request_id"
        " FROM enterprise.preview_company_ids(%s::text[], %s::text[], %s::text[], %s::text[]) ORDER BY ordinal",
        columns,
    ).fetchall()
    for i, answer in enumerate(whole):
        single = tx.execute(
            "SELECT company_id, status, source, match_type, temp_id, request_id"
            " FROM enterprise.preview_company_ids(%s::text[], %s::text[], %s::text[], %s::text[])",
            tuple([c[i]] for c in columns),
        ).fetchone()
        assert single == answer, f"record {i + 1} {tuple(c[i] for c in columns)}"


def test_resolved_batch_equals_one_call_per_record(tx: Conn, tag: str) -> None:
    """After the batch queued its names and minted its TEMP ids, each record resolved alone gets the very same
    answer: one request per queued name and one TEMP id per key, however often they repeat in the batch."""
    names = fixtures(tx, tag)
    columns = batch(names, tag, size=300, seed=18)
    whole = tx.execute(
        "SELECT company_id, status, source, match_type, temp_id, request_id"
        " FROM enterprise.resolve_company_ids(%s::text[], %s::text[], %s::text[], %s::text[]) ORDER BY ordinal",
        columns,
    ).fetchall()
    statuses = {r[1] for r in whole}
    assert {"success_internal", "success_external", "pending_lookup", "temp_assigned"} <= statuses
    for i, answer in enumerate(whole):
        record = tuple(c[i] for c in columns)
        if all(v is None or v.strip() in PLACEHOLDERS for v in record):
            continue  # nothing to key it on: a fresh TEMP id every time, by design
        single = tx.execute(
            "SELECT company_id, status, source, match_type, temp_id, request_id"
            " FROM enterprise.resolve_company_id(%s, %s, %s, %s)",
            record,
        ).fetchone()
        assert single == answer, f"record {i + 1} {record}"
