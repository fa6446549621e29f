"""Any language, through SQL (issue 13): examples/node (the ``pg`` package) and examples/java (the PostgreSQL JDBC
driver) log in as a role that is a member of enrichment_reader and nothing else, and print, for the same records,
exactly what the Python client gets from preview_company_ids, resolve_company_ids and resolve_company_id.

The programs are the ones the README shows; scripts/bootstrap.sh (BOOTSTRAP_LANGUAGES=1, which make test sets)
installs node, npm ci of examples/node, a JDK and libpostgresql-jdbc-java."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from company_enrichment.db import EnrichmentDB
from company_enrichment.models import CompanyIdResult, CompanyRecord, MappingRow
from psycopg.conninfo import conninfo_to_dict

ROOT = Path(__file__).resolve().parents[2]
NODE_PROGRAM = ROOT / "examples" / "node" / "resolve.js"
JAVA_SOURCE = ROOT / "examples" / "java" / "ResolveCompanyIds.java"
JDBC_JAR = Path("/usr/share/java/postgresql.jar")
BOOTSTRAP = "run `BOOTSTRAP_LANGUAGES=1 scripts/bootstrap.sh` (make test does)"
NULL = "\\N"
FUNCTIONS = ("preview_company_ids", "resolve_company_ids", "resolve_company_id")
TEMP = re.compile(r"TEMP_\d{6,}")
TIMEOUT = 180

Line = tuple[str, ...]


def _uri(user: str, password: str, db_uri: str) -> str:
    """A TCP libpq URI for ``user`` on the test database (JDBC cannot use the local cluster's unix socket; the
    local cluster also listens on 127.0.0.1)."""
    info = conninfo_to_dict(db_uri)
    host = str(info.get("host") or "")
    if not host or host.startswith("/"):
        host = "127.0.0.1"
    port = str(info.get("port") or "5432")
    dbname = str(info.get("dbname") or "")
    return f"postgresql://{user}:{password}@{host}:{port}/{dbname}"


@pytest.fixture
def reader(db_uri: str, tag: str) -> Iterator[str]:
    """A throwaway LOGIN role that is a member of enrichment_reader only; yields its TCP libpq URI."""
    role = "reader_" + tag.replace("-", "_")
    password = uuid.uuid4().hex
    with psycopg.connect(db_uri, autocommit=True) as admin:
        admin.execute(f"CREATE ROLE {role} LOGIN PASSWORD '{password}' IN ROLE enrichment_reader")
    try:
        yield _uri(role, password, db_uri)
    finally:
        with psycopg.connect(db_uri, autocommit=True) as admin:
            admin.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = %s", (role,))
            admin.execute(f"DROP ROLE {role}")


def records_and_mappings(db_uri: str, tag: str) -> list[CompanyRecord]:
    """Curated mappings of each kind and a learned name, all tagged, and one record per case."""
    t = tag.upper()
    with EnrichmentDB.connect(db_uri, max_size=1) as admin:
        admin.upsert_internal_mappings(
            [
                MappingRow(alias_name=f"{t}-PLAN", canonical_id="780000001", match_type="plan"),
                MappingRow(alias_name=f"{t}-ACCT", canonical_id="780000002", match_type="account"),
                MappingRow(alias_name=f"{t}-HC", canonical_id="780000003", match_type="hardcode"),
                MappingRow(alias_name=f"{tag}语言甲公司", canonical_id="780000004", match_type="name"),
                MappingRow(alias_name=f"{tag}语言账户", canonical_id="780000005", match_type="account_name"),
            ]
        )
        assert admin.cache_company_mapping(f"{tag}语言学到公司", "780000006") == "inserted"
    r = CompanyRecord
    return [
        r(plan_code=f"  {t}-PLAN "),  # 1 curated plan, blank-padded
        r(plan_code=f"{t}-NOPE", account_number=f"{t}-ACCT"),  # 2 curated account
        r(plan_code=f"{t}-HC", customer_name=f"{tag}语言学到公司"),  # 3 curated hardcode over learned
        r(customer_name=f"「{tag}语言甲公司」（已注销）", account_number=f"{t}-NOPE"),  # 4 curated name, decorated
        r(account_name=f"{tag}语言账户-注销。"),  # 5 curated account_name
        r(customer_name=f"（已吊销）{tag}语言学到公司"),  # 6 learned from EQC
        r(plan_code=f"{t}-NOPE", customer_name=f"{tag}语言新公司"),  # 7 unknown name: queued
        r(customer_name=f"{tag}语言新公司（已注销）"),  # 8 the same name: the same request
        r(customer_name=f'{tag} O\'Brien "Q" \\ {{a,b}} NULL 公司'),  # 9 quotes, backslash, braces: queued
        r(plan_code=f"{t}-NOPE-T", account_name=f"{tag}无名账户"),  # 10 no customer name: TEMP id keyed on the record
        r(customer_name="N/A", account_number=f"{t}-NOPE-N"),  # 11 a placeholder name: TEMP id keyed on the record
        r(plan_code="", customer_name=" ", account_name="", account_number="  "),  # 12 blanks: no field at all
        r(),  # 13 NULLs: no field at all
    ]


#: What record i (1-based) must resolve to, after the first resolution: (company_id, status, source).
EXPECTED = {
    1: ("780000001", "success_internal", "plan"),
    2: ("780000002", "success_internal", "account"),
    3: ("780000003", "success_internal", "hardcode"),
    4: ("780000004", "success_internal", "name"),
    5: ("780000005", "success_internal", "account_name"),
    6: ("780000006", "success_external", "EQC"),
    7: (None, "pending_lookup", "queued"),
    8: (None, "pending_lookup", "queued"),
    9: (None, "pending_lookup", "queued"),
    10: ("TEMP", "temp_assigned", "generated"),
    11: ("TEMP", "temp_assigned", "generated"),
    12: ("TEMP", "temp_assigned", "generated"),
    13: ("TEMP", "temp_assigned", "generated"),
}
#: Records with no field at all: a fresh TEMP id on every call, so only its form is compared.
UNKEYED = {12, 13}


def tsv(records: list[CompanyRecord]) -> str:
    """The programs' input: four tab-separated fields a line, \\N for NULL."""
    lines = []
    for record in records:
        fields = [record.plan_code, record.customer_name, record.account_name, record.account_number]
        assert not any(f is not None and ("\t" in f or "\n" in f or f == NULL) for f in fields)
        lines.append("\t".join(NULL if f is None else f for f in fields))
    return "\n".join(lines) + "\n"


def render(function: str, results: list[CompanyIdResult]) -> list[Line]:
    """The Python client's results in the programs' line format."""
    return [
        (
            function,
            str(ordinal),
            *(
                NULL if v is None else str(v)
                for v in (r.company_id, r.status.value, r.source, r.match_type, r.temp_id, r.request_id)
            ),
        )
        for ordinal, r in enumerate(results, start=1)
    ]


def python_lines(uri: str, records: list[CompanyRecord], *, preview_only: bool = False) -> list[Line]:
    """What the Python client prints, in the programs' order: preview, the batch, then one record at a time."""
    with EnrichmentDB.connect(uri, max_size=1) as db:
        lines = render("preview_company_ids", db.preview_company_ids(records))
        if preview_only:
            return lines
        lines += render("resolve_company_ids", db.resolve_company_ids(records))
        lines += render("resolve_company_id", [db.resolve_company_id(**r.model_dump()) for r in records])
    return lines


def parse(name: str, stdout: str, count: int) -> list[Line]:
    """The program's lines, checked for form: 3 calls x ``count`` records, 8 fields, ordinals 1..count."""
    lines = [tuple(line.split("\t")) for line in stdout.splitlines()]
    assert len(lines) == 3 * count, f"{name} printed {len(lines)} lines, expected {3 * count}:\n{stdout}"
    for index, line in enumerate(lines):
        function, ordinal = FUNCTIONS[index // count], str(index % count + 1)
        assert len(line) == 8 and line[:2] == (function, ordinal), f"{name}, line {index + 1}: {line}"
    return lines


def masked(lines: list[Line]) -> list[Line]:
    """Lines with the TEMP ids of records that have no field at all replaced by TEMP_* (checked for form)."""
    out = []
    for line in lines:
        if int(line[1]) in UNKEYED and line[0] != "preview_company_ids":
            assert TEMP.fullmatch(line[2]) and line[6] == line[2], line
            line = (*line[:2], "TEMP_*", *line[3:6], "TEMP_*", line[7])
        out.append(line)
    return out


def run(name: str, command: list[str], uri: str, records: list[CompanyRecord]) -> list[Line]:
    env = {**os.environ, "ENRICHMENT_READER_URI": uri}
    env.pop("PGPASSWORD", None)
    done = subprocess.run(
        command,
        input=tsv(records),
        capture_output=True,
        text=True,
        encoding="utf-8",
        env=env,
        timeout=TIMEOUT,
        cwd=ROOT,
        check=False,
    )
    assert done.returncode == 0, f"{name} exited {done.returncode}:\n{done.stderr}\n{done.stdout}"
    assert done.stderr.strip() == "", f"{name} wrote to stderr:\n{done.stderr}"
    return parse(name, done.stdout, len(records))


def node_command() -> list[str]:
    if shutil.which("node") is None:
        pytest.fail(f"node not found: {BOOTSTRAP}")
    if not (NODE_PROGRAM.parent / "node_modules" / "pg").is_dir():
        pytest.fail(f"examples/node/node_modules/pg is missing: {BOOTSTRAP}")
    return ["node", str(NODE_PROGRAM)]


def java_command(build: Path) -> list[str]:
    for tool in ("javac", "java"):
        if shutil.which(tool) is None:
            pytest.fail(f"{tool} not found: {BOOTSTRAP}")
    if not JDBC_JAR.is_file():
        pytest.fail(f"{JDBC_JAR} not found (libpostgresql-jdbc-java): {BOOTSTRAP}")
    done = subprocess.run(
        ["javac", "-Xlint:all", "-Werror", "-d", str(build), str(JAVA_SOURCE)],
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        check=False,
    )
    assert done.returncode == 0, f"javac failed:\n{done.stderr}{done.stdout}"
    return ["java", "-cp", f"{build}{os.pathsep}{JDBC_JAR}", "ResolveCompanyIds"]


def test_reader_role_is_a_member_of_enrichment_reader_only(db_uri: str, reader: str) -> None:
    user = conninfo_to_dict(reader)["user"]
    with psycopg.connect(db_uri) as admin:
        row = admin.execute(
            "SELECT r.rolsuper OR r.rolcreaterole OR r.rolcreatedb OR r.rolbypassrls,"
            " array(SELECT m.roleid::regrole::text FROM pg_auth_members AS m WHERE m.member = r.oid)"
            " FROM pg_roles AS r WHERE r.rolname = %s",
            (user,),
        ).fetchone()
    assert row == (False, ["enrichment_reader"])
    with psycopg.connect(reader, autocommit=True) as conn:
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("SELECT enterprise.next_temp_id()")
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("SELECT count(*) FROM enterprise.company_mapping")


def test_node_and_java_print_what_the_python_client_gets(db_uri: str, reader: str, tag: str, tmp_path: Path) -> None:
    records = records_and_mappings(db_uri, tag)
    n = len(records)
    node, java = node_command(), java_command(tmp_path)

    # Nothing resolved yet: what preview says before any name is queued or TEMP id minted.
    before = python_lines(reader, records, preview_only=True)
    # Node resolves these records first, as the reader: its resolve queues names and mints TEMP ids (through the
    # SECURITY DEFINER functions), and its second call (one record at a time) must give the same answers.
    from_node = run("examples/node", node, reader, records)
    assert from_node[:n] == before
    # Then the Python client and Java, on the records now resolved: every line equal.
    from_python = python_lines(reader, records)
    from_java = run("examples/java", java, reader, records)
    assert masked(from_java) == masked(from_python)
    assert masked(from_node[n:]) == masked(from_python[n:])

    # The answers themselves: each kind of record got what it must.
    for function in ("resolve_company_ids", "resolve_company_id"):
        got = {int(line[1]): line for line in from_python if line[0] == function}
        for i, (company_id, status, source) in EXPECTED.items():
            line = got[i]
            assert line[3:5] == (status, source), (function, i, line)
            if company_id == "TEMP":
                assert TEMP.fullmatch(line[2]) and line[6] == line[2], (function, i, line)
            else:
                assert line[2] == (NULL if company_id is None else company_id), (function, i, line)
            assert (line[7] != NULL) == (status == "pending_lookup"), (function, i, line)
        assert got[7][7] == got[8][7] != got[9][7]  # one request per name
        assert got[10][2] != got[11][2]
    # Keyed TEMP ids and requests are those node's first resolution made; unkeyed records got a fresh id each call.
    temp_ids = [line[2] for line in from_node[n:] + from_python[n:] + from_java[n:] if int(line[1]) in UNKEYED]
    assert len(set(temp_ids)) == len(temp_ids) == 2 * 2 * 3
    # The reader's resolution did write, through the definer functions: the names are queued once each.
    with psycopg.connect(db_uri) as admin:
        queued = admin.execute(
            "SELECT count(*) FROM enterprise.lookup_requests WHERE normalized_name LIKE %s", (f"{tag}%",)
        ).fetchone()
    assert queued == (2,)
