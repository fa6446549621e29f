"""Running sqitch against a throwaway database next to the test database (upgrade tests; the database is the
upgrade_db fixture of conftest.py), and the state an upgrade must keep."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import psycopg
from psycopg.types.json import Jsonb

ROOT = Path(__file__).resolve().parents[2]


def sqitch(target: str, *args: str) -> subprocess.CompletedProcess[str]:
    exe = shutil.which("sqitch")
    assert exe, "sqitch is not on PATH: run the tests with `make test`"
    return subprocess.run(
        [exe, *args, "--target", target], cwd=ROOT, capture_output=True, text=True, timeout=300, check=False
    )


def deploy(target: str, *args: str) -> None:
    done = sqitch(target, "deploy", *args)
    assert done.returncode == 0, done.stdout + done.stderr


def verify(target: str) -> None:
    done = sqitch(target, "verify")
    assert done.returncode == 0, done.stdout + done.stderr


def kept_state(
    conn: psycopg.Connection[tuple[Any, ...]], plans: Sequence[str | None], names: Sequence[str | None]
) -> dict[str, Any]:
    """What an upgrade from 0.3 on keeps as it was: mappings to their updated_at, TEMP ids, requests (with their
    leases), the answers to ``plans`` and ``names``, and the mapping history."""
    return {
        "mappings": conn.execute(
            "SELECT alias_name, canonical_id, source, match_type, lookup_key, confidence, eqc_type, updated_at"
            " FROM enterprise.company_mapping ORDER BY alias_name, match_type"
        ).fetchall(),
        "temp_ids": conn.execute("SELECT temp_key, temp_id FROM enterprise.temp_id_assignments ORDER BY 1").fetchall(),
        "requests": conn.execute(
            "SELECT id, name, normalized_name, status, attempts, lease_owner, outcome, company_id"
            " FROM enterprise.lookup_requests ORDER BY id"
        ).fetchall(),
        "answers": conn.execute(
            "SELECT company_id, status, source, match_type, temp_id, request_id"
            " FROM enterprise.preview_company_ids(%s, %s, NULL, NULL)",
            (list(plans), list(names)),
        ).fetchall(),
        "history": conn.execute(
            "SELECT id, change_set, operation, alias_name FROM enterprise.company_mapping_history ORDER BY id"
        ).fetchall(),
    }


def hold_requests(
    conn: psycopg.Connection[tuple[Any, ...]],
    *,
    curated: tuple[str, str],
    learned: str,
    ids: tuple[str, str, str],
    plans: Sequence[str | None],
    names: Sequence[str | None],
) -> dict[str, int]:
    """The data an upgrade test starts from: a curated plan code and name (``curated``, ids ``ids[0]`` and
    ``ids[1]``), a name learned from EQC (``learned``, ``ids[2]``), then ``plans`` and ``names`` resolved, which
    queues their unknown names, and those requests claimed by the worker "upgrade-worker". Returns their ids by
    normalized name."""
    conn.execute(
        "SELECT enterprise.upsert_internal_mappings(%s, %s, %s, label => 'before the upgrade')",
        (list(curated), list(ids[:2]), ["plan", "name"]),
    )
    conn.execute("SELECT enterprise.cache_company_mapping(%s, %s)", (learned, ids[2]))
    conn.execute("SELECT * FROM enterprise.resolve_company_ids(%s, %s, NULL, NULL)", (list(plans), list(names)))
    return {
        str(r[1]): int(r[0])
        for r in conn.execute("SELECT id, normalized_name FROM enterprise.claim_lookups(10, 'upgrade-worker')")
    }


def held_by_another_worker(conn: psycopg.Connection[tuple[Any, ...]], name: str) -> int:
    """Queue ``name`` and have the worker "other-worker" claim it; its request id."""
    conn.execute("SELECT * FROM enterprise.resolve_company_ids(customer_names => ARRAY[%s])", (name,))
    row = conn.execute("SELECT id FROM enterprise.claim_lookups(10, 'other-worker')").fetchone()
    assert row is not None, f"{name} was not queued and claimed"
    return int(row[0])


def schema_version(conn: psycopg.Connection[tuple[Any, ...]]) -> str:
    """enterprise.schema_version() of the database ``conn`` is on."""
    row = conn.execute("SELECT enterprise.schema_version()").fetchone()
    assert row is not None
    return str(row[0])


def settle_body(conn: psycopg.Connection[tuple[Any, ...]]) -> str:
    """The source of enterprise._settle_lookups as deployed on the database ``conn`` is on (an upgrade test tells
    one release's settle from another's by it)."""
    row = conn.execute(
        "SELECT prosrc FROM pg_proc WHERE oid = %s::regprocedure",
        ("enterprise._settle_lookups(text, bigint[], jsonb[], text, integer, interval, integer)",),
    ).fetchone()
    assert row is not None
    return str(row[0])


def found(company_id: str, full_name: str, eqc_type: str = "全称精确匹配") -> Jsonb:
    """EQC's answer naming one company (a worker's candidates for settle_lookups)."""
    return Jsonb([{"companyId": company_id, "companyFullName": full_name, "type": eqc_type}])
