"""Upgrade test of the reworked normalize_name (review item 5, nested empty brackets).

In a database of its own on the same server: deploy the plan up to the release tag @v0.1.0, store keys computed
by the v0.1.0 function ("(())a" -> "()a"), deploy HEAD and check that the change recomputed every stored key
(company_mapping.lookup_key, lookup_requests.normalized_name, temp_id_assignments.temp_key) with the collisions
resolved as its deploy script says; revert to @v0.1.0 and check that the keys are back. Finally, a curated alias
whose key would become empty makes the deploy refuse, leaving everything as it was.
"""

from __future__ import annotations

from typing import Any

import psycopg
from sqitch_support import deploy, sqitch

Conn = psycopg.Connection[tuple[Any, ...]]
US = "\x1f"
LONG_NAME = ("(())" + "ab " * 100).strip()  # 299 characters: the queue keeps the first 255


def rows(conn: Conn, sql: str, *params: Any) -> list[tuple[Any, ...]]:
    return conn.execute(sql, params).fetchall()


def mapping_keys(conn: Conn) -> dict[tuple[str, str], str]:
    """The rows this module wrote (ids C_... and L_...), not the hardcoded ones the plan seeds."""
    sql = "SELECT alias_name, match_type, lookup_key FROM enterprise.company_mapping WHERE canonical_id ~ '^[CL]_'"
    return {(a, t): k for a, t, k in rows(conn, sql)}


def request_keys(conn: Conn) -> dict[str, str]:
    return dict(rows(conn, "SELECT name, normalized_name FROM enterprise.lookup_requests"))


def temp_keys(conn: Conn) -> dict[str, str]:
    """temp_id -> temp_key."""
    return dict(rows(conn, "SELECT temp_id, temp_key FROM enterprise.temp_id_assignments"))


SHORTENED = "enterprise._short_temp_key('name' || chr(31) || '()' || repeat('長', 400))"


def fill_at_v010(conn: Conn) -> dict[str, str]:
    """Rows keyed by the v0.1.0 function; returns temp_key -> temp_id of the TEMP assignments."""
    assert rows(conn, "SELECT enterprise.normalize_name('(())a')") == [("()a",)], "not the v0.1.0 function"
    conn.execute(
        """
        INSERT INTO enterprise.company_mapping (alias_name, canonical_id, source, match_type, priority, updated_at)
        VALUES ('(())甲公司', 'C_JIA', 'internal', 'name', 4, now()),
               ('【（）】乙公司', 'C_YI', 'internal', 'account_name', 5, now()),
               ('丙公司', 'C_BING', 'internal', 'name', 4, now()),
               ('((()))丙公司', 'C_BING2', 'internal', 'name', 4, now()),
               -- learned: the changing row is newer than the one holding its new key -> it stays
               ('丁公司', 'L_DING_OLD', 'EQC', 'name', 4, now() - interval '2 days'),
               ('(())丁公司', 'L_DING_NEW', 'EQC', 'name', 4, now() - interval '1 day'),
               -- learned: two changing rows, one new key -> the newer stays
               ('((()))戊公司', 'L_WU_OLD', 'EQC', 'name', 4, now() - interval '2 days'),
               ('(())戊公司', 'L_WU_NEW', 'EQC', 'name', 4, now() - interval '1 day'),
               -- learned: the row holding the new key is newer -> the changing row goes
               ('己公司', 'L_JI_NEW', 'EQC', 'name', 4, now() - interval '1 day'),
               ('(())己公司', 'L_JI_OLD', 'EQC', 'name', 4, now() - interval '2 days'),
               -- learned: the key becomes '' -> the row goes
               ('((()))', 'L_EMPTY', 'EQC', 'name', 4, now()),
               -- codes are not names: untouched
               ('P(())1', 'C_PLAN', 'internal', 'plan', 1, now())
        """
    )
    conn.execute(
        """
        INSERT INTO enterprise.lookup_requests (name, normalized_name, status, lease_owner, lease_expires_at,
                                                outcome, completed_at)
        -- the queue keeps 255 characters of a long spelling, and the key of the whole
        SELECT left(n, 255), enterprise.normalize_name(n), s,
               CASE WHEN s = 'processing' THEN 'w1' END,
               CASE WHEN s = 'processing' THEN now() + interval '1 minute' END,
               CASE WHEN s = 'done' THEN 'not_found' END, CASE WHEN s = 'done' THEN now() END
          FROM (VALUES ('(())庚公司', 'pending'),
                       ('辛公司', 'pending'), ('(())辛公司', 'processing'),
                       ('(())壬公司', 'pending'), ('((()))壬公司', 'pending'),
                       ('(())癸公司', 'done'), ('癸公司', 'done'),
                       ('((()))', 'done'),
                       (%s, 'done')) AS v(n, s)
         ORDER BY n = '((()))壬公司'  -- '(())壬公司' gets the lower id
        """,
        (LONG_NAME,),
    )
    conn.execute(
        f"""
        INSERT INTO enterprise.temp_id_assignments (temp_key, created_at)
        VALUES ('name' || chr(31) || '()子', now()),
               ('name' || chr(31) || '丑', now()), ('name' || chr(31) || '()丑', now()),
               ('name' || chr(31) || '()寅', now() - interval '1 day'), ('name' || chr(31) || '(())寅', now()),
               ('record' || chr(31) || 'P1' || chr(31) || '' || chr(31) || '()卯', now()),
               ('record' || chr(31) || 'P(1)()' || chr(31) || 'A1' || chr(31) || 'x', now()),
               ('name' || chr(31) || '(())', now()),
               ({SHORTENED}, now())
        """
    )
    return {k: i for i, k in temp_keys(conn).items()}


def test_upgrade_recomputes_keys_and_revert_restores_them(upgrade_db: tuple[str, str]) -> None:
    uri, target = upgrade_db
    deploy(target, "--to", "@v0.1.0")
    with psycopg.connect(uri, autocommit=True) as conn:
        ids = fill_at_v010(conn)
        before_mappings, before_requests = mapping_keys(conn), request_keys(conn)
        (shortened,) = conn.execute(f"SELECT {SHORTENED}").fetchone() or ("",)

    deploy(target)
    with psycopg.connect(uri, autocommit=True) as conn:
        assert rows(conn, "SELECT enterprise.normalize_name('(())a')") == [("a",)]
        # every name key is what the new function gives, and every row of a kept name is still there
        assert (
            rows(
                conn,
                "SELECT alias_name FROM enterprise.company_mapping"
                " WHERE lookup_key IS DISTINCT FROM enterprise._mapping_key(alias_name, match_type)",
            )
            == []
        )
        assert mapping_keys(conn) == {
            ("(())甲公司", "name"): "甲公司",
            ("【（）】乙公司", "account_name"): "乙公司",
            ("丙公司", "name"): "丙公司",
            ("((()))丙公司", "name"): "丙公司",
            ("(())丁公司", "name"): "丁公司",
            ("(())戊公司", "name"): "戊公司",
            ("己公司", "name"): "己公司",
            ("P(())1", "plan"): "P(())1",
        }
        # the answers: curated names resolve as before, learned ones to the row kept
        answers = rows(
            conn,
            "SELECT company_id FROM enterprise.preview_company_ids("
            " customer_names => ARRAY['(())甲公司', '甲公司', '(())丁公司', '丁公司', '己公司', '(())己公司'])"
            " ORDER BY ordinal",
        )
        assert [a for (a,) in answers] == ["C_JIA", "C_JIA", "L_DING_NEW", "L_DING_NEW", "L_JI_NEW", "L_JI_NEW"]

        assert (
            request_keys(conn)
            == {
                "(())庚公司": "庚公司",
                "辛公司": "辛公司",
                "(())辛公司": "()辛公司",  # a live request already holds the new key
                "(())壬公司": "壬公司",
                "((()))壬公司": "(())壬公司",  # the live request of lower id took it
                "(())癸公司": "癸公司",
                "癸公司": "癸公司",
                "((()))": "(())",  # the new key would be ''
                LONG_NAME[:255]: "ab" * 100,
            }
        )

        assert temp_keys(conn) == {
            ids[f"name{US}()子"]: f"name{US}子",
            ids[f"name{US}丑"]: f"name{US}丑",
            ids[f"name{US}()丑"]: f"name{US}()丑",  # the new key was taken
            ids[f"name{US}()寅"]: f"name{US}寅",  # the older of two
            ids[f"name{US}(())寅"]: f"name{US}(())寅",
            ids[f"record{US}P1{US}{US}()卯"]: f"record{US}P1{US}{US}卯",
            ids[f"record{US}P(1)(){US}A1{US}x"]: f"record{US}P(1)(){US}A1{US}x",  # "()" in a code
            ids[f"name{US}(())"]: f"name{US}(())",  # the name part would be ''
            ids[shortened]: shortened,  # cannot be recomputed
        }
        # the TEMP id of a re-keyed name is found by resolving it under the new rule
        sql = (
            "SELECT temp_id FROM enterprise.temp_id_assignments"
            " WHERE temp_key = enterprise._name_temp_key(enterprise.normalize_name('(())子'))"
        )
        assert rows(conn, sql) == [(ids[f"name{US}()子"],)]

    revert = sqitch(target, "revert", "-y", "--to", "@v0.1.0")
    assert revert.returncode == 0, revert.stdout + revert.stderr
    with psycopg.connect(uri, autocommit=True) as conn:
        assert rows(conn, "SELECT enterprise.normalize_name('(())a')") == [("()a",)]
        after = mapping_keys(conn)
        assert after == {k: v for k, v in before_mappings.items() if k in after}, "mapping keys back to v0.1.0"
        assert len(after) == 8
        # back to the old keys; the 255-character name cut from a longer spelling keeps the new one
        assert request_keys(conn) == {**before_requests, LONG_NAME[:255]: "ab" * 100}
        # TEMP keys are left as they are (the revert script says why)
        assert temp_keys(conn)[ids[f"name{US}()子"]] == f"name{US}子"

    # deploying again gives the same state as the first deploy
    deploy(target)
    with psycopg.connect(uri, autocommit=True) as conn:
        assert request_keys(conn)["(())壬公司"] == "壬公司"
        assert mapping_keys(conn)[("(())甲公司", "name")] == "甲公司"
    revert = sqitch(target, "revert", "-y", "--to", "@v0.1.0")
    assert revert.returncode == 0, revert.stdout + revert.stderr


def test_upgrade_refuses_a_curated_alias_whose_key_becomes_empty(upgrade_db: tuple[str, str]) -> None:
    uri, target = upgrade_db
    deploy(target, "--to", "@v0.1.0")
    with psycopg.connect(uri, autocommit=True) as conn:
        conn.execute(
            "INSERT INTO enterprise.company_mapping (alias_name, canonical_id, source, match_type, priority)"
            " VALUES ('((()))', 'C_NOTHING', 'internal', 'name', 4)"
        )
    refused = sqitch(target, "deploy")
    assert refused.returncode != 0
    assert "curated mapping(s) would have an empty lookup key" in refused.stdout + refused.stderr
    with psycopg.connect(uri, autocommit=True) as conn:
        # nothing changed: the old function, the row and its key
        assert rows(conn, "SELECT enterprise.normalize_name('(())a')") == [("()a",)]
        assert mapping_keys(conn) == {("((()))", "name"): "(())"}
        conn.execute("DELETE FROM enterprise.company_mapping WHERE alias_name = '((()))'")
    deploy(target)
    with psycopg.connect(uri, autocommit=True) as conn:
        assert rows(conn, "SELECT enterprise.normalize_name('(())a')") == [("a",)]
