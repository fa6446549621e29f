"""Shared pieces of the benchmarks: scratch databases, data generators, timing and reporting.

Every benchmark runs against a scratch database on the project-local cluster (``scripts/localdb.sh``), created
fresh and deployed with sqitch, so figures never depend on what tests left behind. Figures are printed as they
are measured, each with the command that reproduces it.
"""

from __future__ import annotations

import os
import platform
import random
import shlex
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg

ROOT = Path(__file__).resolve().parent.parent


def local_env() -> dict[str, str]:
    """PGHOST/PGPORT/PGUSER of the project-local cluster (started if needed)."""
    subprocess.run([str(ROOT / "scripts/localdb.sh"), "start"], check=True, stdout=subprocess.DEVNULL)
    out = subprocess.run([str(ROOT / "scripts/localdb.sh"), "env"], check=True, capture_output=True, text=True).stdout
    env: dict[str, str] = {}
    for line in out.splitlines():
        if line.startswith("export "):
            key, _, value = line[len("export ") :].partition("=")
            env[key] = shlex.split(value)[0] if value else ""
    return env


def database_uri(name: str) -> str:
    env = local_env()
    return f"postgresql://{env['PGUSER']}@/{name}?host={env['PGHOST']}&port={env['PGPORT']}"


def fresh_database(name: str, *, to: str | None = None) -> str:
    """Drop and re-create ``name`` on the local cluster, deploy the sqitch plan (up to ``to``, a change or
    @tag, when given: an earlier release measured in the same run), return its URI."""
    admin = database_uri("postgres")
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    uri = database_uri(name)
    subprocess.run(
        ["sqitch", "deploy", "--target", "db:pg://" + uri.removeprefix("postgresql://"), *(["--to", to] if to else [])],
        cwd=ROOT,
        check=True,
        stdout=subprocess.DEVNULL,
    )
    return uri


def empty_database(name: str) -> str:
    """A fresh database without the plan (for the peers' own schemas)."""
    admin = database_uri("postgres")
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    return database_uri(name)


def drop_database(name: str) -> None:
    with psycopg.connect(database_uri("postgres"), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextmanager
def head_beside(name: str, before: str) -> Iterator[dict[str, str]]:
    """Two scratch databases for one run: ``name`` deployed to HEAD and ``{name}_before`` only up to ``before`` (a
    change or @tag: the release measured beside this code). Yields their URIs by label, ``before`` first, then
    "HEAD"; drops both at the end."""
    databases = {before: f"{name}_before", "HEAD": name}
    try:
        yield {label: fresh_database(db, to=None if label == "HEAD" else label) for label, db in databases.items()}
    finally:
        for db in databases.values():
            drop_database(db)


def local_backend(conn: psycopg.Connection[Any]) -> int | None:
    """The pid of ``conn``'s server process when it is a PostgreSQL process on this machine, else None (a remote
    server's pid may be another local process's)."""
    row = conn.execute("SELECT pg_backend_pid()").fetchone()
    assert row is not None
    pid = int(str(row[0]))
    try:
        return pid if Path(f"/proc/{pid}/comm").read_text().strip() == "postgres" else None
    except OSError:
        return None


def backend_seconds(pid: int) -> float:
    """CPU seconds the local server process ``pid`` has run (its schedstat)."""
    return int(Path(f"/proc/{pid}/schedstat").read_text().split()[0]) / 1e9


def taking_turns(
    conns: dict[str, psycopg.Connection[Any]], blocks: int, block: Callable[[str, psycopg.Connection[Any]], None]
) -> dict[str, float | None]:
    """Run ``block(label, conn)`` ``blocks`` times on each connection, the connections taking turns and the order
    flipping every block, so a change in the machine's speed falls on all alike. Returns each label's server-process
    CPU seconds over its blocks (None when its server is not a local PostgreSQL process)."""
    pids = {label: local_backend(conn) for label, conn in conns.items()}
    cpu: dict[str, float | None] = {label: None if pid is None else 0.0 for label, pid in pids.items()}
    for turn in range(blocks):
        for label in list(conns) if turn % 2 else list(reversed(conns)):
            pid = pids[label]
            start = 0.0 if pid is None else backend_seconds(pid)
            block(label, conns[label])
            if pid is not None:
                cpu[label] = (cpu[label] or 0.0) + backend_seconds(pid) - start
    return cpu


def machine_facts() -> dict[str, Any]:
    with psycopg.connect(database_uri("postgres")) as conn:
        version = conn.execute("SHOW server_version").fetchone()
        settings: dict[str, str] = dict(
            conn.execute(
                "SELECT name, setting || COALESCE(unit, '') FROM pg_settings WHERE name IN"
                " ('shared_buffers', 'work_mem', 'synchronous_commit', 'fsync', 'max_connections',"
                " 'wal_level', 'jit', 'max_wal_size')"
            ).fetchall()
        )
    return {
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "postgresql": version[0] if version else "?",
        "settings": settings,
    }


@contextmanager
def timer() -> Iterator[list[float]]:
    """``with timer() as t: ...`` then ``t[0]`` is the elapsed seconds."""
    box = [0.0]
    start = time.perf_counter()
    try:
        yield box
    finally:
        box[0] = time.perf_counter() - start


@dataclass
class CpuUse:
    """What the whole machine's CPUs did over a stretch of wall time, from /proc/stat: ``busy`` CPU seconds (user,
    nice, system, irq and softirq of every process: the benchmark's clients, the PostgreSQL backends and anything
    else) and ``steal`` (seconds a virtual machine's CPUs were runnable but given to other guests)."""

    seconds: float = 0.0
    busy: float = 0.0
    steal: float = 0.0


def cpu_seconds() -> tuple[float, float]:
    """(busy, stolen) CPU seconds of the whole machine since boot, from /proc/stat (see CpuUse)."""
    with open("/proc/stat", encoding="ascii") as f:
        fields = [int(x) for x in f.readline().split()[1:9]]
    user, nice, system, _idle, _iowait, irq, softirq, steal = fields
    tick = os.sysconf("SC_CLK_TCK")
    return (user + nice + system + irq + softirq) / tick, steal / tick


def wal_position(uri: str) -> int:
    """The server's WAL insert position, in bytes. Two readings around a run give the WAL the whole server wrote
    meanwhile (every database and process on it, autovacuum and full-page images included, as the CPU figures are
    the whole machine's): what a queue's cycles cost in writes, which moves far less than CPU with the load."""
    with psycopg.connect(uri, autocommit=True) as conn:
        row = conn.execute("SELECT pg_catalog.pg_current_wal_insert_lsn() - '0/0'::pg_lsn").fetchone()
    assert row is not None
    return int(str(row[0]))


@contextmanager
def machine_cpu() -> Iterator[CpuUse]:
    """``with machine_cpu() as use: ...`` then ``use`` holds the machine's busy and stolen CPU seconds over the
    block (Linux only; jiffies, so good to about 1/100 s a core)."""
    use = CpuUse()
    busy0, steal0 = cpu_seconds()
    start = time.perf_counter()
    try:
        yield use
    finally:
        use.seconds = time.perf_counter() - start
        busy1, steal1 = cpu_seconds()
        use.busy, use.steal = busy1 - busy0, steal1 - steal0


def command(*args: str) -> str:
    return " ".join([".venv/bin/python", *args])


@dataclass
class Report:
    """Figures of one run, printed as they come and kept for BENCHMARKS.md."""

    mode: str
    figures: list[dict[str, Any]] = field(default_factory=list)
    series: dict[str, Any] = field(default_factory=dict)

    def add(
        self,
        name: str,
        value: float,
        unit: str,
        *,
        baseline: str = "",
        ratio: float | None = None,
        bar: str = "",
        ok: bool | None = None,
        reproduce: str = "",
    ) -> None:
        row = {
            "name": name,
            "value": value,
            "unit": unit,
            "baseline": baseline,
            "ratio": ratio,
            "bar": bar,
            "ok": ok,
            "reproduce": reproduce,
        }
        self.figures.append(row)
        verdict = "" if ok is None else ("  [meets bar]" if ok else "  [BELOW BAR]")
        shown_ratio = (
            f"  ratio {ratio:.2f}x vs {baseline}" if ratio is not None else (f"  ({baseline})" if baseline else "")
        )
        bar_text = f"  (bar: {bar})" if bar else ""
        print(f"  {name}: {value:,.1f} {unit}{shown_ratio}{bar_text}{verdict}", flush=True)
        if reproduce:
            print(f"      reproduce: {reproduce}", flush=True)


# ----------------------------------------------------------------------------------------------- data

KINDS = ("plan", "account", "hardcode", "name", "account_name")
CITIES = ("上海", "北京", "深圳", "广州", "杭州", "成都", "南京", "武汉", "天津", "重庆")
TRADES = ("科技", "贸易", "实业", "物流", "建设", "医药", "能源", "咨询", "电子", "食品")
FORMS = ("有限公司", "股份有限公司", "集团有限公司")
DECORATIONS = ("-已转出", "（注销）", "【已转出】", "—终止", "。")


def company_name(i: int) -> str:
    return f"{CITIES[i % 10]}{TRADES[(i // 10) % 10]}第{i}号{FORMS[(i // 100) % 3]}"


def mapping_columns(count: int, *, learned: int = 0) -> tuple[list[str], list[str], list[str], list[str]]:
    """``count`` curated mappings spread over the five kinds, plus ``learned`` EQC names (separate list).

    Returns (aliases, canonical_ids, match_types, learned_names).
    """
    per_kind = max(1, count // 5)
    aliases: list[str] = []
    ids: list[str] = []
    kinds: list[str] = []
    for kind_index, kind in enumerate(KINDS):
        for i in range(per_kind):
            if kind in ("plan", "hardcode"):
                alias = f"{'PL' if kind == 'plan' else 'HC'}{i:07d}"
            elif kind == "account":
                alias = f"AC{i:08d}"
            elif kind == "name":
                alias = company_name(i)
            else:
                alias = f"{company_name(i)}年金账户"
            aliases.append(alias)
            ids.append(str(600_000_000 + (i * 7 + kind_index) % 99_999_999))
            kinds.append(kind)
    learned_names = [f"学到{company_name(i)}" for i in range(learned)]
    return aliases, ids, kinds, learned_names


def load_mappings(uri: str, count: int, *, learned: int) -> None:
    aliases, ids, kinds, learned_names = mapping_columns(count, learned=learned)
    with psycopg.connect(uri, autocommit=True) as conn:
        step = 200_000
        for start in range(0, len(aliases), step):
            conn.execute(
                "SELECT enterprise.upsert_internal_mappings(%s::text[], %s::text[], %s::text[])",
                (aliases[start : start + step], ids[start : start + step], kinds[start : start + step]),
            )
        if learned_names:
            # Learned names as the workers write them (cache_company_mapping's set-based core).
            for start in range(0, len(learned_names), step):
                chunk = learned_names[start : start + step]
                conn.execute(
                    "SELECT count(*) FROM enterprise._cache_learned_mappings(%s::text[], %s::text[], 'EQC')",
                    (chunk, [str(700_000_000 + i) for i in range(start, start + len(chunk))]),
                )
        conn.execute("VACUUM ANALYZE enterprise.company_mapping")


@dataclass
class Records:
    plan_codes: list[str | None]
    customer_names: list[str | None]
    account_names: list[str | None]
    account_numbers: list[str | None]

    def __len__(self) -> int:
        return len(self.plan_codes)

    def slice(self, start: int, stop: int) -> Records:
        return Records(
            self.plan_codes[start:stop],
            self.customer_names[start:stop],
            self.account_names[start:stop],
            self.account_numbers[start:stop],
        )


def make_records(count: int, *, mappings: int, learned: int, run: str, seed: int = 20261126) -> Records:
    """A realistic mix: hits of every kind (names often decorated), learned names, misses, no-name rows.

    25% plan, 10% account, 5% hardcode, 20% name, 5% account_name, 10% learned EQC names, 15% unknown names
    (queued; unique per ``run`` so every run queues its own), 7% no customer name, 3% no field at all.
    """
    rng = random.Random(seed)
    per_kind = max(1, mappings // 5)
    records = Records([], [], [], [])
    for i in range(count):
        r = rng.random()
        plan = customer = account_name = account = None
        k = rng.randrange(per_kind)
        if r < 0.25:
            plan = f"PL{k:07d}"
            customer = company_name(rng.randrange(1_000_000_000))
        elif r < 0.35:
            account = f"AC{k:08d}"
        elif r < 0.40:
            plan = f"HC{k:07d}"
        elif r < 0.60:
            customer = company_name(k)
            if rng.random() < 0.3:
                customer = f" {customer}{DECORATIONS[rng.randrange(len(DECORATIONS))]}"
        elif r < 0.65:
            account_name = f"{company_name(k)}年金账户"
        elif r < 0.75:
            customer = f"学到{company_name(rng.randrange(max(1, learned)))}" if learned else company_name(k)
        elif r < 0.90:
            customer = f"未知{run}客户{i}有限公司"
        elif r < 0.97:
            plan = f"NOPLAN{run}-{rng.randrange(count)}"
            customer = rng.choice((None, "", "N/A", "无"))
        records.plan_codes.append(plan)
        records.customer_names.append(customer)
        records.account_names.append(account_name)
        records.account_numbers.append(account)
    return records


def write_csv(path: Path, records: Records) -> None:
    import csv

    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["plan_code", "customer_name", "account_name", "account_number"])
        for row in zip(
            records.plan_codes, records.customer_names, records.account_names, records.account_numbers, strict=True
        ):
            writer.writerow(["" if v is None else v for v in row])


def python() -> str:
    return sys.executable
