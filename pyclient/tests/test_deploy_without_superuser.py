"""A DBA deploys the plan as a role that is not a superuser: LOGIN, CREATEROLE and CREATE on the database, no more.

The whole plan deploys, verifies and reverts as that role; afterwards enrichment_owner owns the schema and every
function in it (never the deployer, never a superuser) and the roles can use the service.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pytest
from sqitch_support import deploy, sqitch, verify

Conn = psycopg.Connection[tuple[Any, ...]]


@pytest.fixture
def deployer(db_uri: str, upgrade_db: tuple[str, str]) -> Iterator[tuple[str, str, str]]:
    """(role, libpq URI as that role, sqitch target as that role) for the throwaway database; the role is dropped."""
    uri, _ = upgrade_db
    role = f"ce_deployer_{uuid.uuid4().hex[:8]}"
    dbname = urlsplit(uri).path.lstrip("/")
    with psycopg.connect(db_uri, autocommit=True) as admin:
        admin.execute(f"CREATE ROLE {role} LOGIN CREATEROLE")
        admin.execute(f"GRANT CREATE ON DATABASE {dbname} TO {role}")
    parts = urlsplit(uri)
    netloc = parts.netloc.split("@", 1)[-1]
    as_role = urlunsplit(parts._replace(netloc=f"{role}@{netloc}"))
    try:
        yield role, as_role, "db:pg:" + as_role.split(":", 1)[1]
    finally:
        with psycopg.connect(db_uri, autocommit=True) as admin:
            admin.execute(f"DROP DATABASE IF EXISTS {dbname} WITH (FORCE)")
            admin.execute(f"DROP ROLE IF EXISTS {role}")


def test_a_non_superuser_deploys_verifies_and_reverts_the_whole_plan(
    deployer: tuple[str, str, str], upgrade_db: tuple[str, str]
) -> None:
    role, as_role, target = deployer
    with psycopg.connect(as_role) as conn:
        assert conn.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user").fetchone() == (False,)

    deploy(target)
    verify(target)

    superuser_uri, _ = upgrade_db
    with psycopg.connect(superuser_uri) as conn:
        owners = conn.execute(
            "SELECT DISTINCT r.rolname FROM pg_proc p JOIN pg_roles r ON r.oid = p.proowner"
            " WHERE p.pronamespace = 'enterprise'::regnamespace"
        ).fetchall()
        assert owners == [("enrichment_owner",)]
        schema_owner = conn.execute("SELECT nspowner::regrole::text FROM pg_namespace WHERE nspname = 'enterprise'")
        assert schema_owner.fetchone() == ("enrichment_owner",)
        # The service works for its roles: an admin loads, a reader resolves (and queues, through definer functions).
        conn.execute("SET ROLE enrichment_admin")
        conn.execute(
            "SELECT enterprise.upsert_internal_mappings(ARRAY['非超级用户公司'], ARRAY['620000001'], ARRAY['name'])"
        )
        conn.execute("SET ROLE enrichment_reader")
        rows = conn.execute(
            "SELECT company_id, status FROM enterprise.resolve_company_ids("
            " ARRAY[NULL, NULL, NULL]::text[], ARRAY['非超级用户公司', '非超级用户新公司', NULL]::text[],"
            " ARRAY[NULL, NULL, NULL]::text[], ARRAY[NULL, NULL, NULL]::text[]) ORDER BY ordinal"
        ).fetchall()
        assert rows[0] == ("620000001", "success_internal")
        assert rows[1] == (None, "pending_lookup")
        assert rows[2][0] is not None and rows[2][0].startswith("TEMP_") and rows[2][1] == "temp_assigned"
        conn.execute("RESET ROLE")
        conn.commit()

    reverted = sqitch(target, "revert", "-y")
    assert reverted.returncode == 0, reverted.stdout + reverted.stderr
    with psycopg.connect(as_role) as conn:
        assert conn.execute("SELECT to_regnamespace('enterprise')").fetchone() == (None,)
        assert conn.execute("SELECT current_user").fetchone() == (role,)
