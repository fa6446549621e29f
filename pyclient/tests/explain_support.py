"""Plans of the statements a function runs inside, through auto_explain (tests that a plan holds)."""

from __future__ import annotations

from typing import Any

import psycopg


def auto_explained(
    conn: psycopg.Connection[tuple[Any, ...]], sql: str, params: tuple[Any, ...] = (), *, analyze: bool = False
) -> tuple[list[str], list[tuple[Any, ...]]]:
    """Run ``sql`` with auto_explain logging the plan of every statement, nested ones too; return the plans (one
    string each) and the rows. ``analyze``: the plans carry row counts (EXPLAIN ANALYZE, without timing)."""
    plans: list[str] = []
    conn.add_notice_handler(lambda diag: plans.append(diag.message_primary or ""))
    conn.execute("LOAD 'auto_explain'")
    conn.execute("SET auto_explain.log_min_duration = 0")
    conn.execute("SET auto_explain.log_nested_statements = on")
    if analyze:
        conn.execute("SET auto_explain.log_analyze = on")
        conn.execute("SET auto_explain.log_timing = off")
    conn.execute("SET client_min_messages = log")
    try:
        rows = conn.execute(sql, params).fetchall()
    finally:
        conn.execute("RESET client_min_messages")
    return plans, rows
