"""What every statement that writes a table pays once per statement: the table's CHECK constraints and generated
columns, kept as node text and prepared again by each statement.

    .venv/bin/python bench/bench_write_setup.py [--statements 3000] [--rounds 5] [--blocks 20]

PostgreSQL 15 keeps a table's CHECK constraints (``pg_constraint.conbin``) and generated columns
(``pg_attrdef.adbin``) as node text (cached with the table's relcache entry). A statement that writes the table
parses that text again (``stringToNode``), plans it (``expression_planner``, which inlines a SQL function it calls
and folds the constants in it) and compiles it: the CHECK constraints at the first row the statement checks, the
generated columns when the statement starts (every INSERT, and an UPDATE that sets one of their inputs), even if it
then writes no row. Nothing carries over to the next statement. So the settle pays it at every write statement,
and so does the floor of ``bench_queue.py``, which writes the same tables (its change set is never updated, so one
statement fewer).

For each table a settle writes, copies of it (``CREATE TABLE ... (LIKE ...)``: no indexes, no triggers) are made in
a scratch database: as deployed, without its checks, and for a table with generated columns also without their
generation expressions (plain columns) and without either; ``company_mapping`` also gets a copy whose key is
computed through a plpgsql wrapper of ``_mapping_key`` (not inlined into the generated column). A twin of the
``lookup_requests`` copy as deployed shows the measurement's own spread. A plpgsql loop writes ``--statements``
one-row INSERTs into each copy, in a transaction that is rolled back, after a short unmeasured loop; the copies take
turns, their order reversed every other round. The figure is the backend's CPU per statement (one row's own checks
and key included), the best of the rounds. The difference to the copy without checks or generation expressions is
what they cost a statement, printed beside the size of their node text. Their sum over the statements of a batch-1
settle is printed beside that settle's own backend CPU a call, measured after the copies on the same database
(``bench_settle.py``'s cycle, ``--blocks`` blocks of ten calls). At batch 50 a call costs several times more and the
same set-ups are a smaller share of it.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from functools import partial

import psycopg
from bench_queue import SETTLE
from bench_settle import _interleaved
from common import backend_seconds, command, drop_database, fresh_database, local_backend

DATABASE = "enrichment_bench_write_setup"

#: The tables one settle writes, the statements of a batch-1 settle that write each (lookup_requests: the settle's
#: UPDATE and the claim's; the change sets: opened by one INSERT, counted by one UPDATE; a found answer mints no TEMP
#: id), and one row each copy accepts (``i`` is the loop's counter). Three of those statements are UPDATEs, timed here
#: as INSERTs: both UPDATEs of lookup_requests set inputs of its generated column (status, lease_expires_at), so they
#: prepare what an INSERT prepares, and the change sets have no generated column.
TABLES: dict[str, tuple[int, str, str]] = {
    "company_mapping": (
        1,
        "alias_name, canonical_id, source, match_type, priority",
        "'某某科技有限公司' || i, 'C1', 'EQC', 'name', 4",
    ),
    "lookup_requests": (2, "id, name, normalized_name", "i, 'name ' || i, 'name ' || i"),
    "eqc_companies": (1, "company_id, full_name, raw", "'C' || i, 'name', '{}'::jsonb"),
    "company_mapping_history": (
        1,
        "id, change_set, operation, alias_name, match_type, canonical_id_after, changed_at, session_user_name",
        "i, 1, 'insert', 'name ' || i, 'name', 'C1', now(), 'bench'",
    ),
    "company_mapping_change_sets": (2, "id, kind", "i, 'sql'"),
    "temp_id_assignments": (0, "temp_key", "'key ' || i"),
}

#: Copies of each table: LIKE ... with these INCLUDING options (the last two only for a table with generated
#: columns; for another they would be the first two again).
VARIANTS: dict[str, str] = {
    "as deployed": "INCLUDING DEFAULTS INCLUDING GENERATED INCLUDING CONSTRAINTS",
    "without checks": "INCLUDING DEFAULTS INCLUDING GENERATED",
    "without generated": "INCLUDING DEFAULTS INCLUDING CONSTRAINTS",
    "without either": "INCLUDING DEFAULTS",
}
NOT_INLINED = "key not inlined"
TWIN = "as deployed, a twin"
WARM_UP = 50

SETUP = """
CREATE SCHEMA bench_setup;
CREATE FUNCTION bench_setup.mapping_key(alias_name text, match_type text) RETURNS text
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
AS $$ BEGIN RETURN enterprise._mapping_key(alias_name, match_type); END $$;
"""

LOOP = """
CREATE FUNCTION bench_setup.{name}_loop(n integer) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    FOR i IN 1 .. n LOOP
        INSERT INTO bench_setup.{name} ({columns}) VALUES ({values});
    END LOOP;
END $$;
"""

SIZES = """
SELECT (SELECT COALESCE(sum(pg_catalog.length(c.conbin::text)), 0) FROM pg_catalog.pg_constraint AS c
         WHERE c.conrelid = %(t)s::regclass AND c.contype = 'c'),
       (SELECT COALESCE(sum(pg_catalog.length(d.adbin::text)), 0) FROM pg_catalog.pg_attrdef AS d
          JOIN pg_catalog.pg_attribute AS a ON a.attrelid = d.adrelid AND a.attnum = d.adnum
         WHERE d.adrelid = %(t)s::regclass AND a.attgenerated = 's')
"""


def copies(conn: psycopg.Connection[tuple[object, ...]], generated: set[str]) -> dict[str, dict[str, str]]:
    """Create every copy and its loop function (``generated``: the tables with generated columns); return the
    copies' names by table and variant."""
    conn.execute(SETUP)
    names: dict[str, dict[str, str]] = {}

    def copy(table: str, variant: str, including: str) -> str:
        name = f"{table}_{len(names[table])}"
        conn.execute(f"CREATE TABLE bench_setup.{name} (LIKE enterprise.{table} {including})")
        names[table][variant] = name
        return name

    for table in TABLES:
        names[table] = {}
        for variant, including in list(VARIANTS.items())[: 4 if table in generated else 2]:
            copy(table, variant, including)
        if table == "lookup_requests":
            copy(table, TWIN, VARIANTS["as deployed"])
        if table == "company_mapping":
            name = copy(table, NOT_INLINED, VARIANTS["without generated"])
            # dropping the plain column drops its CHECK too: both come back, the key through the wrapper
            conn.execute(f"ALTER TABLE bench_setup.{name} DROP COLUMN lookup_key")
            conn.execute(
                f"ALTER TABLE bench_setup.{name} ADD COLUMN lookup_key text"
                " GENERATED ALWAYS AS (bench_setup.mapping_key(alias_name, match_type)) STORED"
                " CONSTRAINT company_mapping_lookup_key_check CHECK (lookup_key <> '')"
            )
        _, columns, values = TABLES[table]
        for name in names[table].values():
            conn.execute(LOOP.format(name=name, columns=columns, values=values))
    conn.commit()
    return names


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--statements", type=int, default=3000, help="one-row INSERTs per copy and round")
    parser.add_argument("--rounds", type=int, default=5, help="rounds, the copies' order reversed every other one")
    parser.add_argument("--blocks", type=int, default=20, help="blocks of ten batch-1 settles timed beside them")
    args = parser.parse_args()
    uri = fresh_database(DATABASE)
    try:
        with psycopg.connect(uri) as conn:
            # the node text of each table's checks and generation expressions, in bytes
            sizes: dict[str, tuple[int, int]] = {}
            for table in TABLES:
                row = conn.execute(SIZES, {"t": f"enterprise.{table}"}).fetchone()
                assert row is not None
                sizes[table] = (int(str(row[0])), int(str(row[1])))
            names = copies(conn, {table for table, (_, generated) in sizes.items() if generated})
            pid = local_backend(conn)
            now: Callable[[], float] = time.perf_counter if pid is None else partial(backend_seconds, pid)
            best: dict[str, float] = {}
            order = [name for variants in names.values() for name in variants.values()]
            for name in order:
                conn.execute(f"SELECT bench_setup.{name}_loop(%s)", (WARM_UP,))
                conn.rollback()
            for r in range(args.rounds):
                for name in order if r % 2 == 0 else reversed(order):
                    start = now()
                    conn.execute(f"SELECT bench_setup.{name}_loop(%s)", (args.statements,))
                    spent = now() - start
                    conn.rollback()
                    us = spent / args.statements * 1e6
                    best[name] = min(us, best.get(name, us))
            clock = "wall clock" if pid is None else "backend CPU"
            rounds = f"best of {args.rounds} rounds of {args.statements:,}"
            print(f"  one-row INSERT statements, {clock} per statement, {rounds}")
            per_call = 0.0
            for table, variants in names.items():
                statements = TABLES[table][0]
                checks, generated = sizes[table]
                figures = ", ".join(f"{variant} {best[name]:.1f} us" for variant, name in variants.items())
                bare = variants.get("without either", variants["without checks"])
                setup = best[variants["as deployed"]] - best[bare]
                per_call += statements * setup
                print(f"  {table}: {figures}")
                print(
                    f"    checks and generated columns: {setup:.1f} us a statement (node text: checks"
                    f" {checks:,} B, generation expressions {generated:,} B before inlining);"
                    f" {statements} of a batch-1 settle's statements write it"
                )
            spread = best[names["lookup_requests"][TWIN]] - best[names["lookup_requests"]["as deployed"]]
            print(f"  the measurement's spread: two identical copies of lookup_requests differ by {spread:+.1f} us")
            settle = _interleaved({"settle": uri}, {"settle": SETTLE}, 1, args.blocks)["settle"].backend_us
            beside = "" if settle is None or pid is None else f": {per_call / settle:.0%} of a call's {settle:,.0f} us"
            print(
                f"  a batch-1 settle (one found answer, the next claimed): {per_call:.0f} us of these set-ups{beside}"
            )
            args_again = (
                "--statements",
                str(args.statements),
                "--rounds",
                str(args.rounds),
                "--blocks",
                str(args.blocks),
            )
            print(f"  reproduce: {command('bench/bench_write_setup.py', *args_again)}")
    finally:
        drop_database(DATABASE)


if __name__ == "__main__":
    main()
