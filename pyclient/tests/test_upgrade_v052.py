"""The upgrade from the release @v0.5.2 to HEAD (0.5.3: resolve_company_id is plpgsql, its statement planned once per
session instead of on every call), as a DBA runs it.

In a database of its own: deploy @v0.5.2 and fill it (curated and learned mappings, names queued, requests held by a
worker, TEMP ids), and resolve a set of records one at a time; deploy HEAD and verify. Nothing changed but
schema_version() and resolve_company_id's body: its grants, its parameters and every answer it gives stay, a reader
calls it as before, and a session with the call prepared before the deploy keeps working after it (a function
replaced under a prepared statement is planned again, with the same result type). Reverting to @v0.5.2 puts the
SQL-standard body back, with the same answers.
"""

from __future__ import annotations

from typing import Any

import psycopg
from company_enrichment import __version__
from sqitch_support import deploy, hold_requests, kept_state, schema_version, sqitch, verify

NAMES = ["升级七人工公司", "升级七学来公司", "升级七未知公司", None]
PLANS = ["UPG7-PLAN-1", None, None, "UPG7-PLAN-UNKNOWN"]

#: One record per path: a curated plan code, a curated name behind decorations and spaces, a learned name, a queued
#: name, a record with no name (a TEMP id kept by key), an unknown plan code beside the curated name.
RECORDS: list[dict[str, str | None]] = [
    {"plan_code": "UPG7-PLAN-1"},
    {"customer_name": " 升级七人工公司（已转出） ", "account_number": "UPG7-ACCT-UNKNOWN"},
    {"customer_name": "升级七学来公司"},
    {"customer_name": "升级七未知公司"},
    {"plan_code": "UPG7-PLAN-UNKNOWN", "customer_name": "  "},
    {"plan_code": "UPG7-NO-SUCH", "customer_name": "升级七人工公司"},
]

CALL = (
    "SELECT * FROM enterprise.resolve_company_id(plan_code => %(plan_code)s, customer_name => %(customer_name)s,"
    " account_name => %(account_name)s, account_number => %(account_number)s)"
)


def _answers(conn: psycopg.Connection[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    fields = ("plan_code", "customer_name", "account_name", "account_number")
    answers = []
    for record in RECORDS:
        row = conn.execute(CALL, {f: record.get(f) for f in fields}, prepare=True).fetchone()
        assert row is not None
        answers.append(row)
    return answers


def _shape(conn: psycopg.Connection[tuple[Any, ...]]) -> tuple[Any, ...]:
    """resolve_company_id's language, settings, owner and grants."""
    row = conn.execute(
        "SELECT l.lanname, p.proconfig, p.proowner::regrole::text, p.proacl::text[], p.proargnames"
        " FROM pg_proc AS p JOIN pg_language AS l ON l.oid = p.prolang"
        " WHERE p.oid = 'enterprise.resolve_company_id(text, text, text, text)'::regprocedure"
    ).fetchone()
    assert row is not None
    return tuple(row)


def test_upgrade_from_v052_keeps_every_answer_and_plans_resolve_company_id_once(upgrade_db: tuple[str, str]) -> None:
    uri, target = upgrade_db
    deploy(target, "--to", "@v0.5.2")
    with psycopg.connect(uri, autocommit=True) as conn:
        held = hold_requests(
            conn,
            curated=("UPG7-PLAN-1", "升级七人工公司"),
            learned="升级七学来公司",
            ids=("770000001", "770000002", "770000003"),
            plans=PLANS,
            names=NAMES,
        )
        assert sorted(held) == ["升级七未知公司"], held
        assert schema_version(conn) == "0.5.2"
        answers = _answers(conn)
        assert [a[:3] for a in answers] == [
            ("770000001", "success_internal", "plan"),
            ("770000002", "success_internal", "name"),
            ("770000003", "success_external", "EQC"),
            (None, "pending_lookup", "queued"),
            (answers[4][0], "temp_assigned", "generated"),
            ("770000002", "success_internal", "name"),
        ], answers
        assert answers[4][0].startswith("TEMP_")
        shape = _shape(conn)
        assert shape[:2] == ("sql", None)
        before = kept_state(conn, PLANS, NAMES)

    # a session open across the deploy, its call prepared under 0.5.2: it keeps working once HEAD's body is in
    with psycopg.connect(uri, autocommit=True) as across:
        assert _answers(across) == answers
        deploy(target)
        verify(target)
        assert _answers(across) == answers

    with psycopg.connect(uri, autocommit=True) as conn:
        assert schema_version(conn) == __version__  # HEAD: 0.5.3 or a later release
        upgraded = _shape(conn)
        assert upgraded[:2] == ("plpgsql", ["search_path=pg_catalog, pg_temp"])
        assert upgraded[2:] == shape[2:], "grants and parameter names stay"
        assert _answers(conn) == answers, "every record gets the answer it got under 0.5.2"
        assert kept_state(conn, PLANS, NAMES) == before, "the upgrade lost or changed nothing"
        conn.execute("SET ROLE enrichment_reader")
        assert _answers(conn) == answers, "a reader calls it as before"
        conn.execute("RESET ROLE")

    reverted = sqitch(target, "revert", "-y", "--to", "@v0.5.2")
    assert reverted.returncode == 0, reverted.stdout + reverted.stderr
    verify(target)
    with psycopg.connect(uri, autocommit=True) as conn:
        assert schema_version(conn) == "0.5.2"
        assert _shape(conn) == shape, "the revert put 0.5.2's SQL-standard body back, with its owner and grants"
        assert _answers(conn) == answers
        assert kept_state(conn, PLANS, NAMES) == before
