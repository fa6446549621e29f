"""Backup and restore, as a DBA runs them (issue 16): `make backup` (`pg_dump -Fc`) of a database in use,
`make restore` (`pg_restore` into a fresh database on the same cluster, then `sqitch verify`), then the checks a DBA
would want before switching over.

In a database of its own: deploy HEAD, fill it the way it is used (curated mappings of every kind, learned names,
requests in every status, TEMP ids, a rate-limit bucket, changed queue settings), and dump it while a worker's
transaction is still open. The restored database must pass `sqitch verify`, hold every row of every table of the
schemas `enterprise` and `sqitch` (tables are enumerated from the catalog, so new tables are covered) and its
sequences as dumped, give the same answers, continue its TEMP ids after the highest restored one, keep owners and
grants, and its queue must go on: an expired claim is taken over, a held one is settled by the worker that holds it.
"""

from __future__ import annotations

import os
import subprocess
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any, LiteralString
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pytest
from company_enrichment import __version__
from psycopg import sql
from sqitch_support import ROOT, deploy

Conn = psycopg.Connection[tuple[Any, ...]]
Record = tuple[str | None, str | None, str | None, str | None]  # plan_code, customer_name, account_name, account_no

WORKER = "backup-worker:1"
OPEN_WORKER = "backup-open:1"
SCHEMAS = ("enterprise", "sqitch")

# Records that meet every answer: each curated kind, learned, queued in each status, TEMP ids of both kinds.
RECORDS: list[Record] = [
    ("BK-PLAN-1", None, None, None),
    (None, None, None, "BK-ACC-1"),
    ("BK-HARD-1", None, None, None),
    (None, "备份人工公司", None, None),
    (None, "（已注销）备份人工公司", None, None),
    (None, None, "备份账户名公司", None),
    (None, "备份学来公司", None, None),
    (None, "备份排队公司", None, None),
    (None, "备份在途公司", None, None),
    (None, "备份过期公司", None, None),
    (None, "备份打开公司", None, None),
    (None, "备份找到公司", None, None),
    (None, "备份查无公司", None, None),
    (None, "备份失败公司", None, None),
    (None, "备份重试公司", None, None),
    (None, "备份待审公司", None, None),
    (None, "备份接受公司", None, None),
    ("BK-UNKNOWN-PLAN", None, None, None),
    (None, None, "备份无名账户", "BK-ACC-UNKNOWN"),
]


def _columns(records: list[Record]) -> tuple[list[str | None], ...]:
    return tuple([r[i] for r in records] for i in range(4))


def _one(conn: Conn, query: LiteralString, params: tuple[Any, ...] = ()) -> Any:
    row = conn.execute(query, params).fetchone()
    assert row is not None, query
    return row[0]


def _request(conn: Conn, name: str) -> int:
    return int(_one(conn, "SELECT id FROM enterprise.lookup_requests WHERE normalized_name = %s", (name,)))


def _claim(conn: Conn, name: str, worker: str = WORKER, lease: str | None = None) -> int:
    rid = _request(conn, name)
    claimed = conn.execute(
        "SELECT id FROM enterprise.claim_lookup(request_id => %s, worker => %s, lease => %s::interval)",
        (rid, worker, lease),
    ).fetchall()
    assert claimed == [(rid,)], name
    return rid


def fill(conn: Conn) -> None:
    """The database as it is used: mappings, learned names, requests in every status, TEMP ids, settings."""
    conn.execute(
        "SELECT * FROM enterprise.upsert_internal_mappings(alias_names => %s, canonical_ids => %s, match_types => %s)",
        (
            ["BK-PLAN-1", "BK-ACC-1", "BK-HARD-1", "备份人工公司", "备份账户名公司"],
            ["620000001", "620000002", "620000003", "620000004", "620000005"],
            ["plan", "account", "hardcode", "name", "account_name"],
        ),
    )
    conn.execute("SELECT enterprise.cache_company_mapping(alias_name => '备份学来公司', canonical_id => '620000006')")
    conn.execute("SELECT * FROM enterprise.configure_lookup_queue(max_attempts => 4)")
    conn.execute("SELECT * FROM enterprise.configure_eqc_match_score(eqc_type => '备份类型', confidence => 0.55)")
    assert _one(conn, "SELECT enterprise.acquire_eqc_permit(rate_per_minute => 10, bucket => 'backup')") == 0
    # Resolving queues every unknown name and mints the TEMP ids of records without a customer name.
    conn.execute("SELECT * FROM enterprise.resolve_company_ids(%s, %s, %s, %s)", _columns(RECORDS))
    conn.execute("SELECT * FROM enterprise.resolve_company_ids(plan_codes => ARRAY[NULL]::text[])")  # no field: fresh

    found = _claim(conn, "备份找到公司")
    conn.execute(
        "SELECT enterprise.complete_lookup(request_id => %s, worker => %s, canonical_id => '620000007',"
        " official_name => '备份找到有限公司', unite_code => '91440300BACKUP0001')",
        (found, WORKER),
    )
    not_found = _claim(conn, "备份查无公司")
    conn.execute("SELECT enterprise.complete_lookup_not_found(request_id => %s, worker => %s)", (not_found, WORKER))
    failed = _claim(conn, "备份失败公司")
    conn.execute(
        "SELECT enterprise.fail_lookup(request_id => %s, worker => %s, error => 'EQC 503', max_attempts => 1)",
        (failed, WORKER),
    )
    retry = _claim(conn, "备份重试公司")
    conn.execute(
        "SELECT enterprise.fail_lookup(request_id => %s, worker => %s, error => 'EQC 429',"
        " retry_after => interval '1 hour')",
        (retry, WORKER),
    )
    pinyin = '[{{"companyId": "{}", "companyFullName": "{}", "type": "拼音"}}]'
    review, accepted = _claim(conn, "备份待审公司"), _claim(conn, "备份接受公司")
    conn.execute(
        "SELECT * FROM enterprise.settle_lookups(worker => %s, request_ids => %s, candidates => %s::jsonb[])",
        (
            WORKER,
            [review, accepted],
            [pinyin.format("620000008", "备份待审集团"), pinyin.format("620000009", "备份接受集团")],
        ),
    )
    conn.execute("SELECT enterprise.accept_lookup_candidate(request_id => %s, company_id => '620000009')", (accepted,))
    # In flight: one claim held for the default lease (5 minutes), one whose lease runs out in a second.
    _claim(conn, "备份在途公司")
    _claim(conn, "备份过期公司", lease="1 second")

    statuses: dict[str, int] = dict(
        conn.execute("SELECT status, count(*) FROM enterprise.lookup_requests GROUP BY 1").fetchall()
    )
    assert set(statuses) == {"pending", "processing", "done", "failed", "review"}, statuses


def _tables(conn: Conn) -> list[tuple[str, str]]:
    rows = conn.execute(
        "SELECT n.nspname, c.relname FROM pg_catalog.pg_class AS c JOIN pg_catalog.pg_namespace AS n"
        " ON n.oid = c.relnamespace WHERE n.nspname = ANY (%s) AND c.relkind IN ('r', 'p') ORDER BY 1, 2",
        (list(SCHEMAS),),
    ).fetchall()
    return [(str(schema), str(name)) for schema, name in rows]


def contents(conn: Conn) -> dict[str, Any]:
    """Every table of the schemas (row count and md5 of its rows in order) and every sequence's state."""
    tables: dict[str, tuple[int, str]] = {}
    for schema, name in _tables(conn):
        row = conn.execute(
            sql.SQL(
                "SELECT count(*), md5(COALESCE(string_agg(t::text, E'\\n' ORDER BY t::text), '')) FROM {}.{} AS t"
            ).format(sql.Identifier(schema), sql.Identifier(name))
        ).fetchone()
        assert row is not None
        tables[f"{schema}.{name}"] = (int(row[0]), str(row[1]))
    sequences = conn.execute(
        "SELECT schemaname, sequencename, last_value FROM pg_catalog.pg_sequences WHERE schemaname = ANY (%s)"
        " ORDER BY 1, 2",
        (list(SCHEMAS),),
    ).fetchall()
    return {"tables": tables, "sequences": sequences}


def _acl(column: LiteralString, kind: LiteralString, owner: LiteralString) -> LiteralString:
    """The privileges in force, sorted. An ACL that only says what the owner has by default (what REVOKE ... FROM
    PUBLIC leaves behind) is restored as NULL, which means the same, so NULL is read as acldefault()."""
    return (
        "(SELECT pg_catalog.array_agg(a::text ORDER BY a::text)"
        f" FROM pg_catalog.unnest(COALESCE({column}, pg_catalog.acldefault('{kind}', {owner}))) AS a)"
    )


# Owners and privileges, by name, of the schemas and of everything in them. %s: the schemas.
PRIVILEGE_QUERIES: dict[str, LiteralString] = {
    "schemas": (
        "SELECT nspname, pg_catalog.pg_get_userbyid(nspowner), "
        + _acl("nspacl", "n", "nspowner")
        + " FROM pg_catalog.pg_namespace WHERE nspname = ANY (%s) ORDER BY 1"
    ),
    "relations": (
        "SELECT c.oid::regclass::text, c.relkind, pg_catalog.pg_get_userbyid(c.relowner),"
        " CASE c.relkind WHEN 'S' THEN "
        + _acl("c.relacl", "s", "c.relowner")
        + " ELSE "
        + _acl("c.relacl", "r", "c.relowner")
        + " END"
        " FROM pg_catalog.pg_class AS c JOIN pg_catalog.pg_namespace AS n ON n.oid = c.relnamespace"
        " WHERE n.nspname = ANY (%s) ORDER BY 1"
    ),
    "columns": (
        "SELECT a.attrelid::regclass::text, a.attname, a.attacl::text FROM pg_catalog.pg_attribute AS a"
        " JOIN pg_catalog.pg_class AS c ON c.oid = a.attrelid JOIN pg_catalog.pg_namespace AS n"
        " ON n.oid = c.relnamespace WHERE n.nspname = ANY (%s) AND a.attacl IS NOT NULL ORDER BY 1, 2"
    ),
    "functions": (
        "SELECT p.oid::regprocedure::text, pg_catalog.pg_get_userbyid(p.proowner), "
        + _acl("p.proacl", "f", "p.proowner")
        + ", p.prosecdef, p.proconfig::text FROM pg_catalog.pg_proc AS p JOIN pg_catalog.pg_namespace AS n"
        " ON n.oid = p.pronamespace WHERE n.nspname = ANY (%s) ORDER BY 1"
    ),
    "types": (
        "SELECT t.oid::regtype::text, pg_catalog.pg_get_userbyid(t.typowner), "
        + _acl("t.typacl", "T", "t.typowner")
        + " FROM pg_catalog.pg_type AS t JOIN pg_catalog.pg_namespace AS n ON n.oid = t.typnamespace"
        " WHERE n.nspname = ANY (%s) ORDER BY 1"
    ),
    "default_acls": (
        "SELECT pg_catalog.pg_get_userbyid(d.defaclrole), d.defaclnamespace::regnamespace::text, d.defaclobjtype,"
        " d.defaclacl::text FROM pg_catalog.pg_default_acl AS d"
        " WHERE d.defaclnamespace = 0 OR d.defaclnamespace::regnamespace::text = ANY (%s) ORDER BY 1, 2, 3"
    ),
}


def privileges(conn: Conn) -> dict[str, list[tuple[Any, ...]]]:
    """Owners and privileges, by role name, so that two databases of one cluster compare directly."""
    return {key: conn.execute(query, (list(SCHEMAS),)).fetchall() for key, query in PRIVILEGE_QUERIES.items()}


def answers(conn: Conn, function: str, records: list[Record]) -> list[tuple[Any, ...]]:
    return conn.execute(
        sql.SQL(
            "SELECT ordinal, company_id, status, source, match_type, temp_id, request_id"
            " FROM enterprise.{}(%s, %s, %s, %s) ORDER BY ordinal"
        ).format(sql.Identifier(function)),
        _columns(records),
    ).fetchall()


def make(target: str, source_uri: str, **variables: str) -> subprocess.CompletedProcess[str]:
    """`make backup` / `make restore` (scripts/backup.sh) against the server of source_uri."""
    return subprocess.run(
        ["make", "-s", target, *(f"{k}={v}" for k, v in variables.items())],
        cwd=ROOT,
        env=dict(os.environ, WDH_DATABASE__URI=source_uri),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.fixture
def restored_db(db_uri: str) -> Iterator[tuple[str, str]]:
    """The name and URI of the database `make restore` creates (it must not exist yet); dropped at the end."""
    name = f"restored_{uuid.uuid4().hex[:10]}"
    try:
        yield name, urlunsplit(urlsplit(db_uri)._replace(path=f"/{name}"))
    finally:
        with psycopg.connect(db_uri, autocommit=True) as admin:
            admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


def test_dump_of_a_database_in_use_restores_with_every_row_answer_owner_and_grant(
    upgrade_db: tuple[str, str], restored_db: tuple[str, str], tmp_path: Path
) -> None:
    source_uri, source_target = upgrade_db
    restored_name, restored_uri = restored_db
    deploy(source_target)
    dump_file = tmp_path / "enrichment.dump"
    with psycopg.connect(source_uri, autocommit=True) as conn, psycopg.connect(source_uri) as open_worker:
        fill(conn)
        # A worker's transaction is open while the dump runs: it has claimed a request and minted a TEMP id. The
        # dump holds what was committed when it started; the sequence value it holds is the current one.
        open_claim = _claim(open_worker, "备份打开公司", worker=OPEN_WORKER)
        _one(open_worker, "SELECT enterprise.next_temp_id()")
        before = contents(conn)
        before_privileges = privileges(conn)
        granted = str(before_privileges["functions"]) + str(before_privileges["relations"])
        assert all(f"enrichment_{role}=" in granted for role in ("reader", "worker", "admin")), "grants to compare"
        before_preview = answers(conn, "preview_company_ids", RECORDS)
        assert len(before["tables"]) >= 13 and all(
            before["tables"][f"enterprise.{t}"][0] > 0
            for t in ("company_mapping", "lookup_requests", "temp_id_assignments", "eqc_rate_limit", "eqc_companies")
        ), before["tables"]
        assert before["tables"]["sqitch.changes"][0] > 0, "sqitch's registry is in the database and in the dump"

        started = time.monotonic()
        dumped = make("backup", source_uri, FILE=str(dump_file))
        dumped_in = time.monotonic() - started
        assert dumped.returncode == 0, dumped.stdout + dumped.stderr
        open_worker.commit()  # pg_dump did not wait for the open transaction; the worker commits after it
        assert _one(conn, "SELECT status FROM enterprise.lookup_requests WHERE id = %s", (open_claim,)) == "processing"

        # pg_restore into a new database from template0, then sqitch verify there (make restore does both).
        started = time.monotonic()
        restored = make("restore", source_uri, FILE=str(dump_file), DB=restored_name)
        restored_in = time.monotonic() - started
        assert restored.returncode == 0, restored.stdout + restored.stderr
        assert "Verify successful" in restored.stdout and f"schema_version {__version__}" in restored.stdout
        source_answers = answers(conn, "resolve_company_ids", RECORDS)

    with psycopg.connect(restored_uri, autocommit=True) as conn:
        assert _one(conn, "SELECT enterprise.schema_version()") == __version__
        after = contents(conn)
        assert after["tables"] == before["tables"], "every row of every table came back"
        # Every sequence as dumped, except that sqitch verify's checks resolve a name in a transaction they roll
        # back: no row stays, but lookup request ids are used up (sequences are not transactional). TEMP ids: none.
        assert [s[:2] for s in after["sequences"]] == [s[:2] for s in before["sequences"]]
        assert all(a[2] >= b[2] for a, b in zip(after["sequences"], before["sequences"], strict=True)), after
        temp_seq = [("enterprise", "temp_id_seq")]
        assert [s for s in after["sequences"] if s[:2] in temp_seq] == [
            s for s in before["sequences"] if s[:2] in temp_seq
        ]
        assert privileges(conn) == before_privileges, "owners and grants came back"
        # The open transaction's claim was not committed when the dump started: it comes back pending, unclaimed.
        assert conn.execute(
            "SELECT status, attempts, lease_owner FROM enterprise.lookup_requests WHERE id = %s", (open_claim,)
        ).fetchone() == ("pending", 0, None)

        # The same answers: without writing, and resolving (which queues and mints in both the same way).
        assert answers(conn, "preview_company_ids", RECORDS) == before_preview
        assert answers(conn, "resolve_company_ids", RECORDS) == source_answers

        # New TEMP ids continue after the highest restored one (and after the number the open transaction used).
        restored_ids = {r[0] for r in conn.execute("SELECT temp_id FROM enterprise.temp_id_assignments")}
        highest = max(int(t.removeprefix("TEMP_")) for t in restored_ids)
        new_records: list[Record] = [(f"BK-NEW-PLAN-{i}", None, None, None) for i in range(50)]
        new = answers(conn, "resolve_company_ids", new_records)
        new_ids = [r[5] for r in new]
        assert all(r[2] == "temp_assigned" for r in new) and len(set(new_ids)) == len(new_ids) == 50, new
        assert not set(new_ids) & restored_ids
        assert min(int(t.removeprefix("TEMP_")) for t in new_ids) > highest + 1, "the open transaction's number too"
        # New names are queued with request ids after the highest restored one.
        highest_request = int(_one(conn, "SELECT max(id) FROM enterprise.lookup_requests"))
        queued = answers(
            conn, "resolve_company_ids", [(None, "备份新名公司甲", None, None), (None, "备份新名公司乙", None, None)]
        )
        assert all(r[2] == "pending_lookup" and r[6] > highest_request for r in queued), queued

        # The queue goes on. The claim whose lease ran out is taken over by the next claim (one more attempt); the
        # claim still within its lease is not, and the worker that holds it settles it here.
        expired, held = _request(conn, "备份过期公司"), _request(conn, "备份在途公司")
        wait = float(
            _one(
                conn,
                "SELECT extract(epoch FROM lease_expires_at - now()) FROM enterprise.lookup_requests WHERE id = %s",
                (expired,),
            )
        )
        time.sleep(max(wait, 0) + 0.1)
        taken = {
            r[0]: r[1]
            for r in conn.execute(
                "SELECT id, attempts FROM enterprise.claim_lookups(batch_size => 50, worker => 'after-restore:1')"
            )
        }
        assert taken.get(expired) == 2 and held not in taken and open_claim in taken, taken
        assert conn.execute(
            "SELECT status, outcome FROM enterprise.complete_lookup(request_id => %s, worker => %s,"
            " canonical_id => '620000010')",
            (held, WORKER),
        ).fetchone() == ("done", "found")

    print(
        f"\nmake backup (pg_dump -Fc) {dumped_in:.1f} s, make restore (pg_restore, sqitch verify) {restored_in:.1f} s"
    )
