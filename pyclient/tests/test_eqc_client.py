"""EQCClient against respx: every status, every fault, pacing, retries, and the token kept out of sight.

No database and no real waiting: sleeps and the rate limiter are fakes that record what they were asked to do.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import quote

import httpx
import pytest
import respx
from company_enrichment import eqc
from company_enrichment.eqc import (
    DETAIL_PATH,
    SEARCH_PATH,
    CompanyDetail,
    CompanySearchResult,
    EQCAuthenticationError,
    EQCClient,
    EQCClientError,
    EQCNotFoundError,
    EQCRateLimitError,
    LocalRateLimiter,
)
from pydantic import SecretStr, ValidationError

BASE_URL = "https://eqc.test.invalid"
TOKEN = "SECRET-TOKEN-abc123"
PINGAN = "中国平安保险\uff08集团\uff09股份有限公司"
PINGAN_ID = "614810477"
RETRY_MAX = 3
REVOKED = "吊销\uff0c未注销"  # a real EQC status, with a full-width comma


class RecordingSleep:
    def __init__(self) -> None:
        self.calls: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)


class CountingLimiter:
    def __init__(self) -> None:
        self.acquired = 0

    def acquire(self) -> None:
        self.acquired += 1


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


@pytest.fixture
def router() -> Iterator[respx.MockRouter]:
    with respx.mock(base_url=BASE_URL, assert_all_called=False) as mock:
        yield mock


@pytest.fixture
def sleeper() -> RecordingSleep:
    return RecordingSleep()


@pytest.fixture
def limiter() -> CountingLimiter:
    return CountingLimiter()


@pytest.fixture
def client(sleeper: RecordingSleep, limiter: CountingLimiter) -> Iterator[EQCClient]:
    with EQCClient(BASE_URL, TOKEN, retry_max=RETRY_MAX, rate_limiter=limiter, sleep=sleeper) as eqc_client:
        yield eqc_client


@pytest.fixture
def debug_logs(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    caplog.set_level(logging.DEBUG)
    for name in ("company_enrichment", "httpx", "httpcore"):
        caplog.set_level(logging.DEBUG, logger=name)
    return caplog


def assert_token_hidden(exc: BaseException | None) -> None:
    """Neither the exception nor anything it chains to shows the token."""
    seen: set[int] = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        for text in (str(exc), repr(exc), repr(exc.args), repr(vars(exc))):
            assert TOKEN not in text
        exc = exc.__cause__ or exc.__context__


def assert_logs_clean(caplog: pytest.LogCaptureFixture) -> None:
    assert caplog.records, "expected the client to log something at DEBUG"
    for record in caplog.records:
        assert TOKEN not in record.getMessage()
        assert TOKEN not in repr(record.args)
        assert TOKEN not in (record.exc_text or "")
    assert TOKEN not in caplog.text


def search_body(*items: tuple[str, str, str | None]) -> dict[str, Any]:
    return {"list": [{"companyId": cid, "companyFullName": name, "unite_code": code} for cid, name, code in items]}


# --------------------------------------------------------------------------------------------------- happy paths


def test_search_returns_every_result_and_sends_token_and_encoded_key(
    router: respx.MockRouter, client: EQCClient, limiter: CountingLimiter, sleeper: RecordingSleep
) -> None:
    route = router.get(SEARCH_PATH).respond(
        200,
        json=search_body(
            (PINGAN_ID, PINGAN, "91440300100012316L"),
            ("680000001", "深圳市平安达物流有限公司", None),
            ("680000002", "上海平安里物业管理有限公司", "91310106536861562Y"),
        ),
    )

    results = client.search_company(f"  {PINGAN} ")

    assert [(r.company_id, r.company_full_name, r.unite_code, r.match_type) for r in results] == [
        (PINGAN_ID, PINGAN, "91440300100012316L", None),
        ("680000001", "深圳市平安达物流有限公司", None, None),
        ("680000002", "上海平安里物业管理有限公司", "91310106536861562Y", None),
    ]
    # the entries exactly as EQC sent them: the database scores and keeps those
    assert [r.raw for r in results] == route.calls.last.response.json()["list"]
    assert route.call_count == 1
    request = route.calls.last.request
    assert request.method == "GET"
    assert request.headers["token"] == TOKEN
    assert request.url.path == SEARCH_PATH
    assert request.url.params["key"] == PINGAN
    assert request.url.query == f"key={quote(PINGAN, safe='')}".encode("ascii")
    assert client.request_count == 1
    assert limiter.acquired == 1
    assert sleeper.calls == []


def test_search_with_no_match_returns_empty_list(router: respx.MockRouter, client: EQCClient) -> None:
    route = router.get(SEARCH_PATH).respond(200, json={"list": []})

    assert client.search_company("查无此公司") == []
    assert route.call_count == 1


def test_search_coerces_numeric_company_id(router: respx.MockRouter, client: EQCClient) -> None:
    router.get(SEARCH_PATH).respond(200, json={"list": [{"companyId": 614810477, "companyFullName": PINGAN}]})

    [result] = client.search_company("中国平安")

    assert result.company_id == PINGAN_ID
    assert result.unite_code is None


def test_search_result_model_reads_eqc_field_names_and_is_frozen() -> None:
    result = CompanySearchResult.model_validate({"companyId": 680000005, "companyFullName": "上海浦江智能科技有限公司"})

    assert result.company_id == "680000005"
    with pytest.raises(ValidationError):
        result.company_id = "1"  # type: ignore[misc]


def test_detail_maps_every_field(router: respx.MockRouter, client: EQCClient) -> None:
    info = {
        "companyId": PINGAN_ID,
        "companyFullName": PINGAN,
        "unite_code": "91440300100012316L",
        "business_status": "存续",
        "legal_person_name": "马明哲",
        "address": "深圳市福田区益田路5033号",
        "registered_date": "1988-03-21",
        "industry_name": "保险业",
        "extra_field": {"kept": True},
    }
    route = router.get(DETAIL_PATH).respond(200, json={"businessInfodto": info})

    detail = client.get_company_detail(PINGAN_ID)

    assert detail == CompanyDetail(
        company_id=PINGAN_ID,
        company_full_name=PINGAN,
        unite_code="91440300100012316L",
        business_status="存续",
        legal_person_name="马明哲",
        address="深圳市福田区益田路5033号",
        registered_date="1988-03-21",
        industry_name="保险业",
        raw=info,
    )
    request = route.calls.last.request
    assert request.url.params["targetId"] == PINGAN_ID
    assert request.headers["token"] == TOKEN


def test_detail_accepts_company_name_and_status_variants(router: respx.MockRouter, client: EQCClient) -> None:
    router.get(DETAIL_PATH).respond(
        200,
        json={"businessInfodto": {"company_name": "福州闽江纺织有限公司", "status": REVOKED, "unite_code": None}},
    )

    detail = client.get_company_detail("680000030")

    assert detail.company_id == "680000030"  # no companyId in the record: the requested id
    assert detail.company_full_name == "福州闽江纺织有限公司"
    assert detail.business_status == REVOKED
    assert detail.unite_code is None
    assert detail.legal_person_name is None


@pytest.mark.parametrize("body", [{"businessInfodto": {}}, {"businessInfodto": None}, {}])
def test_detail_without_record_is_not_found_without_retry(
    router: respx.MockRouter, client: EQCClient, sleeper: RecordingSleep, body: dict[str, Any]
) -> None:
    route = router.get(DETAIL_PATH).respond(200, json=body)

    with pytest.raises(EQCNotFoundError) as caught:
        client.get_company_detail("699999999")

    assert route.call_count == 1
    assert sleeper.calls == []
    assert "699999999" in str(caught.value)
    assert_token_hidden(caught.value)


# --------------------------------------------------------------------------------------------------- not retried


def test_401_raises_authentication_error_after_one_request(
    router: respx.MockRouter, client: EQCClient, sleeper: RecordingSleep, debug_logs: pytest.LogCaptureFixture
) -> None:
    route = router.get(SEARCH_PATH).respond(401, json={"error": "Unauthorized"})

    with pytest.raises(EQCAuthenticationError) as caught:
        client.search_company("中国平安")

    assert route.call_count == 1
    assert client.request_count == 1
    assert sleeper.calls == []
    assert caught.value.status_code == 401
    assert caught.value.path == SEARCH_PATH
    assert_token_hidden(caught.value)
    assert_logs_clean(debug_logs)


@pytest.mark.parametrize("status", [200, 500])
def test_token_expired_body_raises_authentication_error_without_retry(
    router: respx.MockRouter, client: EQCClient, sleeper: RecordingSleep, status: int
) -> None:
    route = router.get(DETAIL_PATH).respond(status, json={"error": "TokenExpired"})

    with pytest.raises(EQCAuthenticationError, match="token expired") as caught:
        client.get_company_detail(PINGAN_ID)

    assert route.call_count == 1
    assert sleeper.calls == []
    assert_token_hidden(caught.value)


@pytest.mark.parametrize("path", [SEARCH_PATH, DETAIL_PATH])
def test_404_raises_not_found_without_retry(
    router: respx.MockRouter, client: EQCClient, sleeper: RecordingSleep, path: str
) -> None:
    route = router.get(path).respond(404)

    with pytest.raises(EQCNotFoundError) as caught:
        if path == SEARCH_PATH:
            client.search_company("中国平安")
        else:
            client.get_company_detail(PINGAN_ID)

    assert route.call_count == 1
    assert sleeper.calls == []
    assert caught.value.status_code == 404
    assert_token_hidden(caught.value)


@pytest.mark.parametrize("status", [400, 403, 302])
def test_other_statuses_fail_at_once(
    router: respx.MockRouter, client: EQCClient, sleeper: RecordingSleep, status: int
) -> None:
    route = router.get(SEARCH_PATH).respond(status, json={})

    with pytest.raises(EQCClientError, match=f"HTTP {status}") as caught:
        client.search_company("中国平安")

    assert type(caught.value) is EQCClientError
    assert route.call_count == 1
    assert sleeper.calls == []
    assert_token_hidden(caught.value)


# --------------------------------------------------------------------------------------------------- 429


def test_429_waits_for_retry_after_then_succeeds(
    router: respx.MockRouter, client: EQCClient, sleeper: RecordingSleep, limiter: CountingLimiter
) -> None:
    route = router.get(SEARCH_PATH).mock(
        side_effect=[
            httpx.Response(429, headers={"Retry-After": "7"}, json={"error": "TooManyRequests"}),
            httpx.Response(200, json=search_body((PINGAN_ID, PINGAN, None))),
        ]
    )

    results = client.search_company("中国平安")

    assert [r.company_id for r in results] == [PINGAN_ID]
    assert sleeper.calls == [7.0]
    assert route.call_count == 2
    assert client.request_count == 2
    assert limiter.acquired == 2


def test_retry_after_is_capped_at_300_seconds(
    router: respx.MockRouter, client: EQCClient, sleeper: RecordingSleep
) -> None:
    router.get(SEARCH_PATH).mock(
        side_effect=[
            httpx.Response(429, headers={"Retry-After": "3600"}),
            httpx.Response(200, json={"list": []}),
        ]
    )

    assert client.search_company("中国平安") == []
    assert sleeper.calls == [300.0]


def test_429_forever_raises_rate_limit_error_after_every_retry(
    router: respx.MockRouter, client: EQCClient, sleeper: RecordingSleep, limiter: CountingLimiter
) -> None:
    route = router.get(SEARCH_PATH).respond(429, headers={"Retry-After": "2.5"})

    with pytest.raises(EQCRateLimitError) as caught:
        client.search_company("中国平安")

    assert route.call_count == RETRY_MAX + 1
    assert client.request_count == RETRY_MAX + 1
    assert limiter.acquired == RETRY_MAX + 1
    assert sleeper.calls == [2.5] * RETRY_MAX
    assert caught.value.retry_after == 2.5
    assert caught.value.status_code == 429
    assert_token_hidden(caught.value)


def test_429_without_retry_after_backs_off_exponentially(
    router: respx.MockRouter, client: EQCClient, sleeper: RecordingSleep, monkeypatch: pytest.MonkeyPatch
) -> None:
    bounds: list[tuple[float, float]] = []

    def top_of_range(low: float, high: float) -> float:
        bounds.append((low, high))
        return high

    monkeypatch.setattr("company_enrichment.eqc.random.uniform", top_of_range)
    router.get(SEARCH_PATH).respond(429)

    with pytest.raises(EQCRateLimitError) as caught:
        client.search_company("中国平安")

    assert caught.value.retry_after is None
    assert_token_hidden(caught.value)
    assert bounds == [(0.0, 1.0), (0.0, 2.0), (0.0, 4.0)]
    assert sleeper.calls == [1.0, 2.0, 4.0]


# --------------------------------------------------------------------------------------------------- transient


def test_500_then_200_succeeds(router: respx.MockRouter, client: EQCClient, sleeper: RecordingSleep) -> None:
    route = router.get(DETAIL_PATH).mock(
        side_effect=[httpx.Response(500), httpx.Response(200, json={"businessInfodto": {"companyFullName": PINGAN}})]
    )

    detail = client.get_company_detail(PINGAN_ID)

    assert detail.company_full_name == PINGAN
    assert route.call_count == 2
    assert len(sleeper.calls) == 1
    assert 0.0 <= sleeper.calls[0] <= 1.0


def test_backoff_is_full_jitter_and_capped(
    router: respx.MockRouter, limiter: CountingLimiter, sleeper: RecordingSleep, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("company_enrichment.eqc.random.uniform", lambda low, high: high)
    router.get(SEARCH_PATH).respond(503)
    client = EQCClient(
        BASE_URL, TOKEN, retry_max=5, rate_limiter=limiter, sleep=sleeper, backoff_base=2.0, backoff_cap=10.0
    )

    with pytest.raises(EQCClientError):
        client.search_company("中国平安")

    assert sleeper.calls == [2.0, 4.0, 8.0, 10.0, 10.0]
    assert client.request_count == 6


TRANSIENT_FAILURES: dict[str, tuple[Callable[[], httpx.Response | Exception], str]] = {
    "500": (lambda: httpx.Response(500), "HTTP 500"),
    "502": (lambda: httpx.Response(502, text="<html>Bad Gateway</html>"), "HTTP 502"),
    "read-timeout": (lambda: httpx.ReadTimeout("timed out"), "ReadTimeout"),
    "connect-timeout": (lambda: httpx.ConnectTimeout("timed out"), "ConnectTimeout"),
    "connect-error": (lambda: httpx.ConnectError("[Errno 111] Connection refused"), "ConnectError"),
    "remote-closed": (lambda: httpx.RemoteProtocolError("Server disconnected"), "RemoteProtocolError"),
    "truncated-json": (lambda: httpx.Response(200, content=b'{"list": ['), "not JSON"),
    "html-200": (lambda: httpx.Response(200, text="<html>gateway login</html>"), "not JSON"),
    "list-missing": (lambda: httpx.Response(200, json={"data": []}), "no 'list' array"),
    "list-not-a-list": (lambda: httpx.Response(200, json={"list": "中国平安"}), "no 'list' array"),
    "list-null": (lambda: httpx.Response(200, json={"list": None}), "no 'list' array"),
    "body-is-array": (lambda: httpx.Response(200, json=[1, 2]), "not an object"),
    "item-without-id": (lambda: httpx.Response(200, json={"list": [{"companyFullName": PINGAN}]}), "no companyId"),
    "item-without-name": (lambda: httpx.Response(200, json={"list": [{"companyId": PINGAN_ID}]}), "no companyFullName"),
    "item-not-object": (lambda: httpx.Response(200, json={"list": ["614810477"]}), "not an object"),
}


@pytest.mark.parametrize("failure", sorted(TRANSIENT_FAILURES))
def test_transient_failure_is_retried_then_raised(
    router: respx.MockRouter,
    client: EQCClient,
    sleeper: RecordingSleep,
    limiter: CountingLimiter,
    debug_logs: pytest.LogCaptureFixture,
    failure: str,
) -> None:
    make_outcome, expected_text = TRANSIENT_FAILURES[failure]
    outcome = make_outcome()
    route = router.get(SEARCH_PATH)
    if isinstance(outcome, Exception):
        route.mock(side_effect=outcome)
    else:
        route.mock(return_value=outcome)

    with pytest.raises(EQCClientError) as caught:
        client.search_company("中国平安")

    error = caught.value
    assert type(error) is EQCClientError
    assert route.call_count == RETRY_MAX + 1
    assert client.request_count == RETRY_MAX + 1
    assert limiter.acquired == RETRY_MAX + 1
    assert len(sleeper.calls) == RETRY_MAX
    assert f"failed after {RETRY_MAX + 1} attempts" in str(error)
    assert expected_text in str(error)
    assert SEARCH_PATH in str(error)
    assert error.path == SEARCH_PATH
    assert_token_hidden(error)
    assert_logs_clean(debug_logs)


@pytest.mark.parametrize(
    "first",
    [
        httpx.Response(200, content=b'{"list": ['),
        httpx.Response(200, json={"list": [{"companyFullName": PINGAN}]}),
        httpx.ConnectError("refused"),
        httpx.ReadTimeout("timed out"),
    ],
    ids=["malformed", "unexpected-shape", "connect-error", "timeout"],
)
def test_transient_failure_then_success(
    router: respx.MockRouter, client: EQCClient, sleeper: RecordingSleep, first: Any
) -> None:
    route = router.get(SEARCH_PATH).mock(
        side_effect=[first, httpx.Response(200, json=search_body((PINGAN_ID, PINGAN, None)))]
    )

    [result] = client.search_company("中国平安")

    assert result.company_id == PINGAN_ID
    assert route.call_count == 2
    assert len(sleeper.calls) == 1


def test_detail_with_record_that_is_not_an_object_is_retried(router: respx.MockRouter, client: EQCClient) -> None:
    route = router.get(DETAIL_PATH).respond(200, json={"businessInfodto": "614810477"})

    with pytest.raises(EQCClientError, match="businessInfodto"):
        client.get_company_detail(PINGAN_ID)

    assert route.call_count == RETRY_MAX + 1


def test_timeout_exception_is_chained_without_token(router: respx.MockRouter, client: EQCClient) -> None:
    router.get(SEARCH_PATH).mock(side_effect=httpx.ReadTimeout("timed out"))

    with pytest.raises(EQCClientError) as caught:
        client.search_company("中国平安")

    assert isinstance(caught.value.__cause__, httpx.ReadTimeout)
    assert_token_hidden(caught.value)


def test_retry_max_zero_means_a_single_attempt(
    router: respx.MockRouter, limiter: CountingLimiter, sleeper: RecordingSleep
) -> None:
    route = router.get(SEARCH_PATH).respond(500)
    client = EQCClient(BASE_URL, TOKEN, retry_max=0, rate_limiter=limiter, sleep=sleeper)

    with pytest.raises(EQCClientError, match="failed after 1 attempt:"):
        client.search_company("中国平安")

    assert route.call_count == 1
    assert sleeper.calls == []


# --------------------------------------------------------------------------------------------------- pacing


def test_rate_limiter_is_acquired_before_every_attempt(
    router: respx.MockRouter, client: EQCClient, limiter: CountingLimiter
) -> None:
    acquired_at_send: list[int] = []

    def respond(request: httpx.Request) -> httpx.Response:
        acquired_at_send.append(limiter.acquired)
        if len(acquired_at_send) < 3:
            return httpx.Response(503)
        return httpx.Response(200, json={"list": []})

    router.get(SEARCH_PATH).mock(side_effect=respond)

    client.search_company("中国平安")

    assert acquired_at_send == [1, 2, 3]
    assert client.request_count == 3


def test_local_rate_limiter_blocks_the_eleventh_request_in_a_minute() -> None:
    fake = FakeClock()
    bucket = LocalRateLimiter(10, clock=fake.clock, sleep=fake.sleep)

    for _ in range(10):
        bucket.acquire()
    assert fake.sleeps == []

    bucket.acquire()
    assert fake.sleeps == [pytest.approx(6.0)]

    fake.now += 120.0  # a quiet spell refills the bucket, but never beyond its capacity
    fake.sleeps.clear()
    for _ in range(10):
        bucket.acquire()
    assert fake.sleeps == []
    bucket.acquire()
    assert fake.sleeps == [pytest.approx(6.0)]


def test_local_rate_limiter_trusts_a_sleep_that_does_not_move_the_clock() -> None:
    waits: list[float] = []
    bucket = LocalRateLimiter(60, clock=lambda: 5.0, sleep=waits.append)

    for _ in range(63):
        bucket.acquire()

    assert waits == [pytest.approx(1.0)] * 3


def test_local_rate_limiter_is_thread_safe() -> None:
    fake = FakeClock()
    bucket = LocalRateLimiter(10, clock=fake.clock, sleep=fake.sleep)
    start = threading.Barrier(30)

    def worker() -> None:
        start.wait()
        bucket.acquire()

    threads = [threading.Thread(target=worker) for _ in range(30)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=5)

    assert not any(thread.is_alive() for thread in threads)
    assert len(fake.sleeps) == 20
    assert sum(fake.sleeps) == pytest.approx(20 * 6.0)


@pytest.mark.parametrize("rate", [0, -1])
def test_local_rate_limiter_rejects_non_positive_rate(rate: int) -> None:
    with pytest.raises(ValueError, match="rate_per_minute"):
        LocalRateLimiter(rate)


def test_default_rate_limiter_paces_with_the_client_sleep(router: respx.MockRouter, sleeper: RecordingSleep) -> None:
    route = router.get(SEARCH_PATH).respond(200, json={"list": []})
    client = EQCClient(BASE_URL, TOKEN, rate_limit_per_minute=2, sleep=sleeper)

    for _ in range(3):
        client.search_company("中国平安")

    assert route.call_count == 3
    assert sleeper.calls == [pytest.approx(30.0, abs=0.5)]


# --------------------------------------------------------------------------------------------------- the token


def test_repr_shows_base_url_only() -> None:
    client = EQCClient(BASE_URL + "/", SecretStr(TOKEN))

    assert repr(client) == f"EQCClient(base_url={BASE_URL!r})"
    assert TOKEN not in repr(vars(client))
    client.close()


def test_secret_token_is_sent(router: respx.MockRouter, limiter: CountingLimiter) -> None:
    route = router.get(SEARCH_PATH).respond(200, json={"list": []})

    with EQCClient(BASE_URL, SecretStr(f" {TOKEN}\n"), rate_limiter=limiter) as client:
        client.search_company("中国平安")

    assert route.calls.last.request.headers["token"] == TOKEN


def test_successful_calls_log_without_token(
    router: respx.MockRouter, client: EQCClient, debug_logs: pytest.LogCaptureFixture
) -> None:
    router.get(SEARCH_PATH).mock(
        side_effect=[httpx.Response(503), httpx.Response(200, json=search_body((PINGAN_ID, PINGAN, None)))]
    )
    router.get(DETAIL_PATH).respond(200, json={"businessInfodto": {"companyFullName": PINGAN}})

    client.search_company("中国平安")
    client.get_company_detail(PINGAN_ID)

    messages = [record.getMessage() for record in debug_logs.records if record.name == "company_enrichment.eqc"]
    assert any("503" in message for message in messages)
    assert any(DETAIL_PATH in message and "200" in message for message in messages)
    assert_logs_clean(debug_logs)


@pytest.mark.parametrize("bad_token", ["", "   ", "has space", "中文令牌", "line\nbreak"])
def test_unusable_token_is_refused_without_echoing_it(bad_token: str) -> None:
    with pytest.raises(ValueError) as caught:
        EQCClient(BASE_URL, bad_token)

    if bad_token.strip():
        assert bad_token not in str(caught.value)
        assert bad_token not in repr(caught.value.args)


# --------------------------------------------------------------------------------------------------- inputs


@pytest.mark.parametrize("name", ["", "   ", "\u3000"])
def test_blank_name_is_refused(client: EQCClient, name: str) -> None:
    with pytest.raises(ValueError, match="name"):
        client.search_company(name)
    assert client.request_count == 0


def test_blank_company_id_is_refused(client: EQCClient) -> None:
    with pytest.raises(ValueError, match="company_id"):
        client.get_company_detail(" ")


@pytest.mark.parametrize(
    "base_url", ["ftp://eqc.pingan.com", "eqc.pingan.com", "https://", "https://user:pw@eqc.pingan.com", "http:/x"]
)
def test_base_url_must_be_http(base_url: str) -> None:
    with pytest.raises(ValueError, match="base_url"):
        EQCClient(base_url, TOKEN)


def test_base_url_path_prefix_is_kept(limiter: CountingLimiter) -> None:
    with respx.mock(base_url="https://gateway.test.invalid/eqc") as mock:
        route = mock.get(SEARCH_PATH).respond(200, json={"list": []})
        with EQCClient("https://gateway.test.invalid/eqc/", TOKEN, rate_limiter=limiter) as client:
            client.search_company("中国平安")

    assert route.calls.last.request.url.path == "/eqc" + SEARCH_PATH


def test_negative_retry_max_is_refused() -> None:
    with pytest.raises(ValueError, match="retry_max"):
        EQCClient(BASE_URL, TOKEN, retry_max=-1)


def test_default_base_url_is_eqc() -> None:
    assert eqc.DEFAULT_BASE_URL == "https://eqc.pingan.com"
