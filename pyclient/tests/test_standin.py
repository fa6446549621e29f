"""The EQC stand-in server, driven by the real EQCClient over loopback HTTP. No database needed."""

from __future__ import annotations

import json
import logging
import os
import re
import select
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Literal

import httpx
import pytest
from company_enrichment.eqc import (
    DETAIL_PATH,
    SEARCH_PATH,
    EQCAuthenticationError,
    EQCClient,
    EQCClientError,
    EQCNotFoundError,
    LocalRateLimiter,
)
from company_enrichment.standin import EQCStandin, Fault, RequestRecord, StandinStats, load_fixtures
from pydantic import ValidationError

REPO_ROOT = Path(__file__).resolve().parents[2]
EXAMPLE_FIXTURES = REPO_ROOT / "examples" / "eqc_fixtures.json"
TOKEN = "standin-SECRET-token-xyz"
PINGAN = "中国平安保险\uff08集团\uff09股份有限公司"
PINGAN_ID = "614810477"
PUJIANG = "上海浦江智能科技有限公司"
PUJIANG_BRANCH = "上海浦江智能科技有限公司北京分公司"
RETRY_MAX = 3

FIXTURES: dict[str, Any] = {
    "token": TOKEN,
    "companies": [
        {
            "companyId": PINGAN_ID,
            "companyFullName": PINGAN,
            "unite_code": "91440300100012316L",
            "aliases": ["中国平安", "平安集团", "Ping An Group"],
            "detail": {
                "business_status": "存续",
                "legal_person_name": "马明哲",
                "address": "深圳市福田区益田路5033号平安金融中心",
                "registered_date": "1988-03-21",
                "industry_name": "保险业",
            },
        },
        # the branch comes first, so an exact match on the head office must be moved ahead of it
        {"companyId": "680000102", "companyFullName": PUJIANG_BRANCH, "unite_code": None},
        {"companyId": 680000101, "companyFullName": PUJIANG, "unite_code": "91310115069937096R"},
        {"companyId": "680000103", "companyFullName": "深圳市平安达物流有限公司", "aliases": ["平安达物流"]},
        *(
            {"companyId": f"6800002{i:02d}", "companyFullName": f"杭州第{i}号科技有限公司", "unite_code": None}
            for i in range(1, 13)
        ),
    ],
}


class RecordingSleep:
    def __init__(self) -> None:
        self.calls: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)


@pytest.fixture
def standin() -> Iterator[EQCStandin]:
    with EQCStandin(FIXTURES) as server:
        yield server


@pytest.fixture
def sleeper() -> RecordingSleep:
    return RecordingSleep()


def make_client(standin: EQCStandin, sleeper: RecordingSleep, *, token: str | None = None, **kwargs: Any) -> EQCClient:
    # An explicit transport keeps httpx away from any proxy configured in the environment.
    return EQCClient(
        standin.url,
        token if token is not None else standin.token,
        transport=httpx.HTTPTransport(),
        rate_limiter=LocalRateLimiter(60_000, sleep=sleeper),
        sleep=sleeper,
        retry_max=RETRY_MAX,
        timeout=kwargs.pop("timeout", 5.0),
        **kwargs,
    )


@pytest.fixture
def client(standin: EQCStandin, sleeper: RecordingSleep) -> Iterator[EQCClient]:
    with make_client(standin, sleeper) as eqc_client:
        yield eqc_client


def add_fault(standin: EQCStandin, via: Literal["inject", "http"], fault: Fault) -> None:
    if via == "inject":
        standin.inject(fault)
    else:
        response = httpx.post(f"{standin.url}/_standin/faults", json=fault.model_dump(mode="json"), trust_env=False)
        assert response.status_code == 204


def names(results: list[Any]) -> list[str]:
    return [result.company_full_name for result in results]


# --------------------------------------------------------------------------------------------------- search


@pytest.mark.parametrize(
    "key",
    [
        PINGAN,
        "中国平安",
        "平安集团",
        "  中国 平安\u3000",
        "\uff30\uff29\uff2e\uff27 \uff21\uff2e group",
        "中国平安保险(集团)股份有限公司",
    ],
    ids=["full-name", "alias", "other-alias", "whitespace", "full-width-and-case", "half-width-brackets"],
)
def test_search_exact_and_alias(client: EQCClient, key: str) -> None:
    [result] = client.search_company(key)

    assert result.company_id == PINGAN_ID
    assert result.company_full_name == PINGAN
    assert result.unite_code == "91440300100012316L"


def test_search_puts_exact_matches_before_substring_matches(client: EQCClient) -> None:
    results = client.search_company(PUJIANG)

    assert [r.company_id for r in results] == ["680000101", "680000102"]
    assert results[1].unite_code is None


def test_search_substring(client: EQCClient) -> None:
    assert names(client.search_company("平安")) == [PINGAN, "深圳市平安达物流有限公司"]


def test_search_single_character_needs_an_exact_match(client: EQCClient) -> None:
    assert client.search_company("平") == []


def test_search_returns_at_most_ten(client: EQCClient) -> None:
    results = client.search_company("科技有限公司")

    assert len(results) == 10
    assert names(results)[:2] == [PUJIANG_BRANCH, PUJIANG]  # no exact match: fixture order


def test_search_without_match_is_an_empty_list(client: EQCClient, standin: EQCStandin) -> None:
    assert client.search_company("北京不存在科技有限公司") == []
    assert standin.request_log[-1].status == 200


def test_request_log_records_when_each_request_arrived(client: EQCClient, standin: EQCStandin) -> None:
    before = time.time()
    client.search_company("中国平安")
    client.search_company("浦江")
    after = time.time()

    first, second = standin.request_log[-2:]
    assert before <= first.at <= second.at <= after


# --------------------------------------------------------------------------------------------------- detail


def test_detail(client: EQCClient) -> None:
    detail = client.get_company_detail(PINGAN_ID)

    assert detail.company_id == PINGAN_ID
    assert detail.company_full_name == PINGAN
    assert detail.unite_code == "91440300100012316L"
    assert detail.business_status == "存续"
    assert detail.legal_person_name == "马明哲"
    assert detail.address == "深圳市福田区益田路5033号平安金融中心"
    assert detail.registered_date == "1988-03-21"
    assert detail.industry_name == "保险业"
    assert detail.raw["companyId"] == PINGAN_ID


def test_detail_of_numeric_fixture_id_and_null_unite_code(client: EQCClient) -> None:
    assert client.get_company_detail("680000101").company_full_name == PUJIANG
    assert client.get_company_detail("680000102").unite_code is None


def test_unknown_detail_is_not_found(client: EQCClient, standin: EQCStandin) -> None:
    with pytest.raises(EQCNotFoundError):
        client.get_company_detail("699999999")

    assert client.request_count == 1
    assert standin.request_log[-1].model_copy(update={"at": 0.0}) == RequestRecord(
        path=DETAIL_PATH, key="699999999", status=200, header_token_present=True
    )


def test_raw_protocol(standin: EQCStandin) -> None:
    headers = {"token": standin.token}
    with httpx.Client(base_url=standin.url, headers=headers, trust_env=False) as http:
        search = http.get(SEARCH_PATH, params={"key": "平安达物流"})
        unknown = http.get(DETAIL_PATH, params={"targetId": "1"})
        no_slash = http.get(SEARCH_PATH.rstrip("/"), params={"key": "中国平安"})
        wrong_method = http.post(SEARCH_PATH, params={"key": "中国平安"})
        wrong_path = http.get("/kg-api-hfd/api/other")

    assert search.status_code == 200
    assert search.headers["content-type"].startswith("application/json")
    assert search.json() == {
        "list": [
            {
                "companyId": "680000103",
                "companyFullName": "深圳市平安达物流有限公司",
                "unite_code": None,
                "type": "模糊匹配",
            }
        ]
    }
    assert unknown.json() == {"businessInfodto": {}}
    assert no_slash.json()["list"][0]["companyId"] == PINGAN_ID
    assert wrong_method.status_code == 405
    assert wrong_path.status_code == 404


# --------------------------------------------------------------------------------------------------- auth


def test_wrong_token_is_401_and_never_retried(standin: EQCStandin, sleeper: RecordingSleep) -> None:
    with make_client(standin, sleeper, token="not-the-token") as wrong, pytest.raises(EQCAuthenticationError):
        wrong.search_company("中国平安")

    assert sleeper.calls == []
    assert standin.stats().unauthorized == 1
    assert standin.stats().total_requests == 1
    assert [r.model_copy(update={"at": 0.0}) for r in standin.request_log] == [
        RequestRecord(path=SEARCH_PATH, key="中国平安", status=401, header_token_present=True)
    ]


def test_missing_token_is_401(standin: EQCStandin) -> None:
    response = httpx.get(f"{standin.url}{SEARCH_PATH}", params={"key": "中国平安"}, trust_env=False)

    assert response.status_code == 401
    assert response.json() == {"error": "Unauthorized"}
    assert standin.request_log[-1].header_token_present is False


# --------------------------------------------------------------------------------------------------- faults

Outcome = Literal["ok", "auth", "empty"]

# kind -> (extra Fault fields, what the client ends with, requests sent, sleeps recorded by the client)
FAULT_CASES: dict[str, tuple[dict[str, Any], Outcome, int, list[float] | int]] = {
    "429": ({"retry_after": 4}, "ok", 2, [4.0]),
    "500": ({}, "ok", 2, 1),
    "malformed": ({}, "ok", 2, 1),
    "slow": ({"delay": 0.6}, "ok", 2, 1),  # the client's timeout is shorter: one timeout, then a normal answer
    "expired": ({}, "auth", 1, []),
    "401": ({}, "auth", 1, []),
    "empty": ({}, "empty", 1, []),
}


@pytest.mark.parametrize("via", ["inject", "http"])
@pytest.mark.parametrize("kind", sorted(FAULT_CASES))
def test_each_fault_kind(
    standin: EQCStandin, sleeper: RecordingSleep, kind: str, via: Literal["inject", "http"]
) -> None:
    extra, outcome, requests, sleeps = FAULT_CASES[kind]
    add_fault(standin, via, Fault.model_validate({"kind": kind, **extra}))
    client = make_client(standin, sleeper, timeout=0.3)

    if outcome == "auth":
        with pytest.raises(EQCAuthenticationError):
            client.search_company("中国平安")
    elif outcome == "empty":
        assert client.search_company("中国平安") == []
    else:
        assert [r.company_id for r in client.search_company("中国平安")] == [PINGAN_ID]

    assert client.request_count == requests
    if isinstance(sleeps, int):
        assert len(sleeper.calls) == sleeps
    else:
        assert sleeper.calls == sleeps
    stats = standin.stats()
    assert stats.search_requests == requests
    assert stats.faults_served == 1
    assert stats.search_key_counts == {"中国平安": requests}
    assert standin.request_log[0].fault == kind
    assert standin.pending_faults() == []
    client.close()


@pytest.mark.parametrize("kind", ["empty", "malformed", "expired"])
def test_faults_on_detail(
    standin: EQCStandin, client: EQCClient, kind: Literal["empty", "malformed", "expired"]
) -> None:
    standin.inject(Fault(kind=kind))

    if kind == "empty":
        with pytest.raises(EQCNotFoundError):
            client.get_company_detail(PINGAN_ID)
    elif kind == "expired":
        with pytest.raises(EQCAuthenticationError):
            client.get_company_detail(PINGAN_ID)
    else:
        assert client.get_company_detail(PINGAN_ID).company_full_name == PINGAN
        assert client.request_count == 2


def test_slow_fault_answers_normally_after_the_delay(standin: EQCStandin, client: EQCClient) -> None:
    standin.inject(Fault(kind="slow", delay=0.3))

    started = time.monotonic()
    [result] = client.search_company("平安集团")

    assert time.monotonic() - started >= 0.3
    assert result.company_id == PINGAN_ID
    assert client.request_count == 1
    assert standin.stats().served_ok == 1
    assert standin.stats().faults_served == 1


def test_429_without_retry_after_has_no_header(standin: EQCStandin) -> None:
    standin.inject(Fault(kind="429"))
    response = httpx.get(
        f"{standin.url}{SEARCH_PATH}", params={"key": "x"}, headers={"token": standin.token}, trust_env=False
    )

    assert response.status_code == 429
    assert "retry-after" not in response.headers
    assert response.json() == {"error": "TooManyRequests"}


@pytest.mark.parametrize("via", ["inject", "http"])
def test_fault_forever_exhausts_retries_until_cleared(
    standin: EQCStandin, client: EQCClient, via: Literal["inject", "http"]
) -> None:
    add_fault(standin, via, Fault(kind="500", times=None))

    with pytest.raises(EQCClientError, match="HTTP 500"):
        client.search_company("中国平安")
    assert standin.stats().faults_served == RETRY_MAX + 1
    assert standin.pending_faults() == [Fault(kind="500", times=None)]

    if via == "inject":
        standin.clear_faults()
    else:
        assert httpx.delete(f"{standin.url}/_standin/faults", trust_env=False).status_code == 204
    assert standin.pending_faults() == []
    assert [r.company_id for r in client.search_company("中国平安")] == [PINGAN_ID]


def test_faults_are_fifo_and_can_target_one_name(standin: EQCStandin, client: EQCClient) -> None:
    standin.inject(Fault(kind="500", name="中国平安", times=2))
    standin.inject(Fault(kind="429", retry_after=1))
    standin.inject(Fault(kind="empty"))

    assert names(client.search_company("平安达物流")) == []  # untargeted 429 first, then the untargeted "empty"
    assert names(client.search_company("中国平安")) == [PINGAN]  # two targeted 500s, then a normal answer

    assert [(r.key, r.status, r.fault) for r in standin.request_log] == [
        ("平安达物流", 429, "429"),
        ("平安达物流", 200, "empty"),
        ("中国平安", 500, "500"),
        ("中国平安", 500, "500"),
        ("中国平安", 200, None),
    ]


def test_invalid_fault_is_refused(standin: EQCStandin) -> None:
    with httpx.Client(base_url=standin.url, trust_env=False) as http:
        unknown_kind = http.post("/_standin/faults", json={"kind": "503"})
        zero_times = http.post("/_standin/faults", json={"kind": "500", "times": 0})
        not_json = http.post("/_standin/faults", content=b"{")
        listing = http.get("/_standin/faults")

    assert unknown_kind.status_code == 400
    assert unknown_kind.json()["error"] == "InvalidFault"
    assert zero_times.status_code == 400
    assert not_json.status_code == 400
    assert listing.json() == {"faults": []}
    with pytest.raises(ValidationError):
        Fault.model_validate({"kind": "slow", "delay": -1})


# --------------------------------------------------------------------------------------------------- stats


def test_stats_count_exactly_and_reset(standin: EQCStandin, client: EQCClient, sleeper: RecordingSleep) -> None:
    client.search_company("中国平安")
    client.search_company("中国平安")
    client.search_company("平安达物流")
    client.get_company_detail(PINGAN_ID)
    with pytest.raises(EQCNotFoundError):
        client.get_company_detail("699999999")
    standin.inject(Fault(kind="500"))
    client.search_company("浦江")
    with make_client(standin, sleeper, token="wrong") as wrong, pytest.raises(EQCAuthenticationError):
        wrong.get_company_detail(PINGAN_ID)

    expected = StandinStats(
        total_requests=8,
        search_requests=5,
        detail_requests=3,
        served_ok=6,  # the unknown id is a normal answer too
        faults_served=1,
        unauthorized=1,
        search_key_counts={"中国平安": 2, "平安达物流": 1, "浦江": 2},
        detail_id_counts={PINGAN_ID: 2, "699999999": 1},
    )
    assert standin.stats() == expected
    over_http = httpx.get(f"{standin.url}/_standin/stats", trust_env=False)
    assert over_http.status_code == 200
    assert StandinStats.model_validate(over_http.json()) == expected
    requests = httpx.get(f"{standin.url}/_standin/requests", trust_env=False).json()["requests"]
    assert [RequestRecord.model_validate(r) for r in requests] == standin.request_log
    assert len(requests) == 8

    assert httpx.post(f"{standin.url}/_standin/reset", trust_env=False).status_code == 204
    assert standin.stats() == StandinStats()
    assert standin.request_log == []

    client.search_company("中国平安")
    standin.reset_stats()
    assert standin.stats().total_requests == 0


def test_control_endpoints_are_not_counted(standin: EQCStandin) -> None:
    with httpx.Client(base_url=standin.url, trust_env=False) as http:
        http.get("/_standin/stats")
        http.get("/_standin/unknown")
        assert http.put("/_standin/stats").status_code == 405

    assert standin.stats().total_requests == 0


def test_token_is_never_recorded(
    standin: EQCStandin, client: EQCClient, sleeper: RecordingSleep, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    for name in ("company_enrichment", "httpx", "httpcore"):
        caplog.set_level(logging.DEBUG, logger=name)
    standin.inject(Fault(kind="500"))
    client.search_company("中国平安")
    client.get_company_detail(PINGAN_ID)
    with make_client(standin, sleeper, token=TOKEN + "-old") as stale, pytest.raises(EQCAuthenticationError) as caught:
        stale.search_company("中国平安")

    log = standin.request_log
    assert len(log) == 4
    assert all(record.header_token_present for record in log)
    for text in (
        repr(log),
        json.dumps([record.model_dump() for record in log], ensure_ascii=False),
        httpx.get(f"{standin.url}/_standin/requests", trust_env=False).text,
        httpx.get(f"{standin.url}/_standin/stats", trust_env=False).text,
        repr(standin.stats()),
        repr(standin),
        repr(client),
        str(caught.value),
        repr(caught.value.args),
    ):
        assert TOKEN not in text
    assert any(record.name == "httpcore.http11" for record in caplog.records), "expected httpcore DEBUG records"
    assert TOKEN not in caplog.text
    for record in caplog.records:
        assert TOKEN not in record.getMessage()


# --------------------------------------------------------------------------------------------------- lifecycle


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "192.168.1.10", "10.0.0.1", "example.com", ""])
def test_refuses_non_loopback_hosts(host: str) -> None:
    with pytest.raises(ValueError, match="loopback"):
        EQCStandin(FIXTURES, host=host)


@pytest.mark.parametrize("host", ["::1", "[::1]", "127.0.0.2", "LOCALHOST"])
def test_accepts_loopback_hosts(host: str) -> None:
    assert "not started" in repr(EQCStandin(FIXTURES, host=host))


def test_localhost_binds_ipv4_loopback_and_stop_is_idempotent(sleeper: RecordingSleep) -> None:
    server = EQCStandin(FIXTURES, host="localhost").start()
    try:
        assert re.fullmatch(r"http://127\.0\.0\.1:\d+", server.url)
        with pytest.raises(RuntimeError, match="already running"):
            server.start()
        with make_client(server, sleeper) as client:
            assert client.search_company("平安集团")[0].company_id == PINGAN_ID
    finally:
        server.stop()
    server.stop()
    assert not server.running
    with pytest.raises(RuntimeError, match="not started"):
        _ = server.url


def test_invalid_fixtures_are_refused(tmp_path: Path) -> None:
    duplicate = {"token": "t", "companies": [{"companyId": "1", "companyFullName": "甲"}] * 2}
    with pytest.raises(ValueError, match="duplicate companyId"):
        EQCStandin(duplicate)
    with pytest.raises(ValueError):
        EQCStandin({"companies": []})
    with pytest.raises(ValueError):
        EQCStandin({"token": "t", "companies": [{"companyId": "1", "companyFullName": "甲", "alias": ["乙"]}]})
    broken = tmp_path / "broken.json"
    broken.write_text('{"token": ', encoding="utf-8")
    with pytest.raises(ValueError, match="not valid JSON"):
        EQCStandin(broken)


def test_example_fixture_file(sleeper: RecordingSleep) -> None:
    fixtures = load_fixtures(EXAMPLE_FIXTURES)

    assert fixtures.token == "demo-token"
    assert 35 <= len(fixtures.companies) <= 50
    # The review demo's companies: answered by pinyin, and without a type.
    assert sum(bool(company.pinyin) for company in fixtures.companies) >= 2
    assert sum(company.untyped for company in fixtures.companies) >= 2
    assert all(re.fullmatch(r"6\d{8}", company.company_id) for company in fixtures.companies)
    assert any(company.unite_code is None for company in fixtures.companies)
    assert sum(bool(company.aliases) for company in fixtures.companies) >= 3
    status_words = ("已转出", "转出", "注销", "终止", "吊销", "撤销", "清算")
    assert not [c.company_full_name for c in fixtures.companies if any(w in c.company_full_name for w in status_words)]

    with EQCStandin(str(EXAMPLE_FIXTURES)) as server, make_client(server, sleeper) as client:
        assert client.search_company("中国平安")[0].company_id == PINGAN_ID
        assert client.get_company_detail(PINGAN_ID).legal_person_name == "马明哲"


def _read_line(stream: Any, deadline: float) -> str:
    ready, _, _ = select.select([stream], [], [], max(0.0, deadline - time.monotonic()))
    assert ready, "the stand-in did not announce itself in time"
    line: str = stream.readline()
    return line


@pytest.mark.parametrize("stop_signal", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"])
def test_serve_in_a_subprocess(stop_signal: signal.Signals, sleeper: RecordingSleep) -> None:
    code = "import sys; from company_enrichment.standin import serve; serve(sys.argv[1], port=0)"
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO_ROOT / "pyclient"), os.environ.get("PYTHONPATH")])),
    }
    process = subprocess.Popen(
        [sys.executable, "-c", code, str(EXAMPLE_FIXTURES)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        line = _read_line(process.stdout, time.monotonic() + 4)
        found = re.search(r"listening on (http://127\.0\.0\.1:\d+)", line)
        assert found, line
        url = found.group(1)

        assert httpx.get(f"{url}/_standin/stats", trust_env=False).json()["total_requests"] == 0
        with EQCClient(
            url, "demo-token", transport=httpx.HTTPTransport(), sleep=sleeper, rate_limiter=LocalRateLimiter(600)
        ) as client:
            assert client.search_company("平安集团")[0].company_id == PINGAN_ID
        assert httpx.get(f"{url}/_standin/stats", trust_env=False).json()["search_key_counts"] == {"平安集团": 1}

        process.send_signal(stop_signal)
        assert process.wait(timeout=4) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=4)
        assert process.stdout is not None and process.stderr is not None
        process.stdout.close()
        process.stderr.close()


def test_every_candidate_says_how_it_matched() -> None:
    """EQC's ``type``: exact full name, alias or substring (fuzzy), pinyin; absent for an untyped company."""
    fixtures = {
        "token": "t",
        "companies": [
            {"companyId": "1", "companyFullName": "类型甲科技有限公司", "aliases": ["类型甲"]},
            {"companyId": "2", "companyFullName": "磊星佳贸易有限公司", "pinyin": ["类型甲科技有限公司"]},
            {"companyId": "3", "companyFullName": "类型甲科技有限公司上海分公司", "untyped": True},
        ],
    }
    with EQCStandin(fixtures).start() as server, httpx.Client(base_url=server.url, headers={"token": "t"}) as http:
        full = http.get(SEARCH_PATH, params={"key": "类型甲科技有限公司"}).json()["list"]
        alias = http.get(SEARCH_PATH, params={"key": "类型甲"}).json()["list"]
    assert [(c["companyId"], c.get("type")) for c in full] == [("1", "全称精确匹配"), ("2", "拼音"), ("3", None)]
    assert "type" not in full[2]
    assert [(c["companyId"], c.get("type")) for c in alias] == [("1", "模糊匹配"), ("3", None)]
