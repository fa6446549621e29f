"""normalize_name's fast path (0.3, issue 12) gives exactly what the full rules give.

Since 0.3 ``enterprise.normalize_name`` is one inlinable SQL expression: a name of ASCII letters, digits and
CJK ideographs that does not end with a decoration (and that is no placeholder) is
``lower(name)``; every other name goes to ``enterprise._normalize_name_full``, the 0.2.1 plpgsql body word for
word. These tests compare the two on arbitrary Unicode, on names built from the characters that sit at the
fast path's borders, and on 100,000 generated names, and check that PostgreSQL really inlines it.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from typing import Any

import psycopg
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from test_hostile_input import NAMES

Conn = psycopg.Connection[tuple[Any, ...]]

HYPOTHESIS = settings(deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])

# The characters at the fast path's borders: letters that fold (and the Turkish I's), digits, ideographs inside
# and just outside U+4E00..U+9FFF, every decoration edge, brackets, separators, spaces, full width forms.
BORDER = (
    "aAzZ09İıIi"
    "中国平安公司科技有限第号上海"
    "已转出入终止注销吊撤解散清算破产迁停歇业关闭户冻结作废失效过退保用合并被存续在册"
    "\u4dff\u4e00\u9fff\ua000\u3400\uf900"
    "()（）[]【】-—–_:·.。 \u3000\u00a0\u200b"
    "ＡＢ１２①㈱"
)
BORDER_NAMES = st.text(st.sampled_from(BORDER), max_size=12)
PLACEHOLDERS = ["null", "NULL", "Null", "none", "NONE", "nan", "NaN", "空白", "空", "无", "n/a", "#N/A", "/"]


@pytest.fixture(scope="module")
def mconn(db_uri: str) -> Iterator[Conn]:
    """One connection for the module (read-only queries)."""
    with psycopg.connect(db_uri, autocommit=True) as connection:
        yield connection


def pair(conn: Conn, name: str | None) -> tuple[Any, ...]:
    row = conn.execute(
        "SELECT enterprise.normalize_name(%s::text), enterprise._normalize_name_full(%s::text)", (name, name)
    ).fetchone()
    assert row is not None
    return row


@settings(HYPOTHESIS, max_examples=300)
@example(name="ABC科技有限公司")
@example(name="上海科技第12号有限公司")
@example(name="转出口贸易有限公司")
@example(name="中国平安已转出")
@example(name="İstanbul")
@example(name="上海实业")  # ends with 业 (an edge of 停业) but with no decoration: the fast path
@example(name="关西电力")  # begins with 关 (关闭): the start pattern needs a separator or a bracket
@example(name="中国平安停业")
@example(name="ABC已合并")
@example(name="清算中")
@given(name=NAMES)
def test_fast_path_equals_full_rules_on_any_text(mconn: Conn, name: str) -> None:
    fast, full = pair(mconn, name)
    assert fast == full, f"normalize_name({name!r}) = {fast!r}, the full rules give {full!r}"


@settings(HYPOTHESIS, max_examples=500)
@given(name=BORDER_NAMES)
def test_fast_path_equals_full_rules_at_its_borders(mconn: Conn, name: str) -> None:
    fast, full = pair(mconn, name)
    assert fast == full, f"normalize_name({name!r}) = {fast!r}, the full rules give {full!r}"


def test_placeholders_and_null(conn: Conn) -> None:
    for name in [*PLACEHOLDERS, None, ""]:
        fast, full = pair(conn, name)
        assert fast == full, name
    assert pair(conn, "NULL")[0] == ""
    assert pair(conn, None) == (None, None)


def test_fast_path_equals_full_rules_on_100k_generated_names(conn: Conn) -> None:
    rng = random.Random(12)
    alphabet = list(BORDER)
    names = ["".join(rng.choice(alphabet) for _ in range(rng.randrange(0, 10))) for _ in range(50_000)]
    # Pipeline-like names: a company, sometimes decorated at either end.
    decorations = ["", "", "", "-已转出", "（注销）", "存续", "。", " ", "已", "(在册)"]
    names += [
        f"{rng.choice(decorations)}{rng.choice('上北深广')}{rng.choice('海京圳州')}第{i}号"
        f"{rng.choice(['有限公司', '科技', 'ABC'])}{rng.choice(decorations)}"
        for i in range(50_000)
    ]
    row = conn.execute(
        "SELECT count(*) FILTER (WHERE d), (array_agg(n) FILTER (WHERE d))[1:5],"
        " count(*) FILTER (WHERE n ~ '^[0-9A-Za-z\\u4e00-\\u9fff]+$')"
        " FROM (SELECT n, enterprise.normalize_name(n) IS DISTINCT FROM enterprise._normalize_name_full(n) AS d"
        "         FROM unnest(%s::text[]) AS n) AS s",
        (names,),
    ).fetchone()
    assert row is not None
    differing, examples, plain = row
    assert differing == 0, examples
    assert plain > 20_000  # the fast path was exercised, not only the full rules


def test_normalize_name_is_inlined(conn: Conn) -> None:
    """The planner inlines normalize_name into the calling query (a CASE, not a function call), with the
    decoration edges folded into constants."""
    plan = "\n".join(
        r[0] for r in conn.execute("EXPLAIN VERBOSE SELECT enterprise.normalize_name(n) FROM unnest(ARRAY['x']) AS n")
    )
    assert "CASE WHEN" in plan, plan
    assert "_normalize_name_full(n)" in plan, plan
    assert "normalize_name(n)" not in plan.replace("_normalize_name_full(n)", ""), plan
    assert "_name_decoration_edges" not in plan, plan
    assert "_name_decorations" not in plan, plan
