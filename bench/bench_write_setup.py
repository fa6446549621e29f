"""What every statement that writes a row pays before its first row: the table's CHECK constraints and generated
columns, read from the catalog as node text and prepared again by each statement.

    .venv/bin/python bench/bench_write_setup.py [--statements 3000] [--rounds 3] [--blocks 20]

PostgreSQL 15 keeps a table's CHECK constraints (``pg_constraint.conbin``) and generated columns
(``pg_attrdef.adbin``) as node text. Each statement that writes a row parses that text again (``stringToNode``),
plans it (``expression_planner``, which inlines a SQL function it calls and folds the constants in it) and compiles
it, once per table it writes; nothing carries over to the next statement. So every write statement of the settle pays
it, whatever the batch size, and so does the floor of ``bench_queue.py``.

For each table a settle writes, copies of it (no indexes, no triggers) are made in a scratch database: as deployed
(checks and generated columns), without its checks, without its generation expressions (plain columns), and
without either; for ``company_mapping`` also with its key computed through a plpgsql wrapper of
``_mapping_key`` (not inlined into the generated column). A plpgsql loop writes ``--statements`` one-row INSERTs
into each copy, in a transaction that is rolled back; the copies take turns, their order reversed every other round. The
figure is the backend's CPU per statement, the best of the rounds; the difference to the copy without either is what
the checks and generated columns cost one statement, printed beside the size of their node text. Their sum over
the statements of a batch-1 settle is printed beside that settle's own backend CPU a call, measured after the
copies on the same database (``bench_settle.py``'s cycle, ``--blocks`` blocks of ten calls).
"""

from __future__ import annotations

import argparse
import time

import psycopg
from bench_queue import SETTLE
from bench_settle import _interleaved
from common import backend_seconds, command, drop_database, fresh_database, local_backend

DATABASE = "enrichment_bench_write_setup"

#: The tables one settle writes, the statements of a batch-1 settle that write each (lookup_requests: the settle's
#: UPDATE and the claim's; the change sets: opened by one INSERT, counted by one UPDATE; a found answer mints no TEMP
#: id), and one row each copy accepts (``i`` is the loop's counter).
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

#: Copies of each table: LIKE ... with these INCLUDING options.
VARIANTS: dict[str, str] = {
    "as deployed": "INCLUDING DEFAULTS INCLUDING GENERATED INCLUDING CONSTRAINTS",
    "without checks": "INCLUDING DEFAULTS INCLUDING GENERATED",
    "without generated": "INCLUDING DEFAULTS INCLUDING CONSTRAINTS",
    "without either": "INCLUDING DEFAULTS",
}
NOT_INLINED = "key not inlined"

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


def copies(conn: psycopg.Connection[tuple[object, ...]]) -> dict[str, dict[str, str]]:
    """Create every copy and its loop function; return the copies' names by table and variant."""
    conn.execute(SETUP)
    names: dict[str, dict[str, str]] = {}
    for table, (_, columns, values) in TABLES.items():
        names[table] = {}
        for n, (variant, including) in enumerate(VARIANTS.items()):
            name = f"{table}_{n}"
            conn.execute(f"CREATE TABLE bench_setup.{name} (LIKE enterprise.{table} {including})")
            conn.execute(LOOP.format(name=name, columns=columns, values=values))
            names[table][variant] = name
        if table == "company_mapping":
            name = f"{table}_{len(VARIANTS)}"
            conn.execute(f"CREATE TABLE bench_setup.{name} (LIKE enterprise.{table} {VARIANTS['without generated']})")
            conn.execute(f"ALTER TABLE bench_setup.{name} DROP COLUMN lookup_key")
            conn.execute(
                f"ALTER TABLE bench_setup.{name} ADD COLUMN lookup_key text"
                " GENERATED ALWAYS AS (bench_setup.mapping_key(alias_name, match_type)) STORED"
            )
            conn.execute(LOOP.format(name=name, columns=columns, values=values))
            names[table][NOT_INLINED] = name
    conn.commit()
    return names


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--statements", type=int, default=3000, help="one-row INSERTs per copy and round")
    parser.add_argument("--rounds", type=int, default=3, help="rounds, the copies' order reversed every other one")
    parser.add_argument("--blocks", type=int, default=20, help="blocks of ten batch-1 settles timed beside them")
    args = parser.parse_args()
    uri = fresh_database(DATABASE)
    try:
        with psycopg.connect(uri) as conn:
            names = copies(conn)
            pid = local_backend(conn)
            best: dict[str, float] = {}
            order = [name for variants in names.values() for name in variants.values()]
            for r in range(args.rounds):
                for name in order if r % 2 == 0 else reversed(order):
                    start = time.perf_counter() if pid is None else backend_seconds(pid)
                    conn.execute(f"SELECT bench_setup.{name}_loop(%s)", (args.statements,))
                    spent = (time.perf_counter() if pid is None else backend_seconds(pid)) - start
                    conn.rollback()
                    us = spent / args.statements * 1e6
                    best[name] = min(us, best.get(name, us))
            clock = "wall clock" if pid is None else "backend CPU"
            rounds = f"best of {args.rounds} rounds of {args.statements:,}"
            print(f"  one-row INSERT statements, {clock} per statement, {rounds}")
            per_call = 0.0
            for table, variants in names.items():
                statements = TABLES[table][0]
                checks, generated = conn.execute(SIZES, {"t": f"enterprise.{table}"}).fetchone() or (0, 0)
                figures = ", ".join(f"{variant} {best[name]:.1f} us" for variant, name in variants.items())
                setup = best[variants["as deployed"]] - best[variants["without either"]]
                per_call += statements * setup
                print(f"  {table}: {figures}")
                print(
                    f"    checks and generated columns: {setup:.1f} us a statement (node text: checks"
                    f" {int(str(checks)):,} B, generation expressions {int(str(generated)):,} B before inlining);"
                    f" {statements} of a batch-1 settle's statements write it"
                )
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
