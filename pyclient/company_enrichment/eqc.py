"""Client for EQC, the external company-lookup API.

EQC answers two GET requests, both authenticated by a header ``token: <token>``:

* search: ``/kg-api-hfd/api/search/?key=<name>`` -> ``{"list": [{"companyId", "companyFullName", "unite_code"}]}``
* detail: ``/kg-api-hfd/api/search/findDepart?targetId=<companyId>`` -> ``{"businessInfodto": {...}}``

Failures are mapped once, here, onto the exception classes below:

* 401, or a body ``{"error": "TokenExpired"}`` whatever the status: :class:`EQCAuthenticationError`, never retried;
* 404, or an empty ``businessInfodto``: :class:`EQCNotFoundError`, never retried;
* 429: retried after ``Retry-After`` seconds (capped at 300 s) or an exponential backoff, then
  :class:`EQCRateLimitError`;
* 5xx, timeouts, transport and decoding errors (every :class:`httpx.HTTPError`), malformed JSON and bodies of an
  unexpected shape: retried with exponential backoff and full jitter, then :class:`EQCClientError`;
* any other status: :class:`EQCClientError` at once;
* a ``stop`` event set while the client waits (backoff, ``Retry-After``, a rate-limit slot): :class:`EQCStoppedError`
  at once, and no further request is sent.

The token is short-lived and secret. It is held as a :class:`pydantic.SecretStr`, sent only as a per-request header,
and never written to a log line, an exception or a repr.
"""

from __future__ import annotations

import logging
import math
import random
import re
import threading
import time
from collections.abc import Callable
from types import TracebackType
from typing import Any, Final, Protocol, Self, TypeVar, runtime_checkable

import httpx
from pydantic import AliasChoices, BaseModel, ConfigDict, Field, SecretStr, field_validator

__all__ = [
    "DEFAULT_BASE_URL",
    "DETAIL_PATH",
    "SEARCH_PATH",
    "CompanyDetail",
    "CompanySearchResult",
    "EQCAuthenticationError",
    "EQCClient",
    "EQCClientError",
    "EQCConfigurationError",
    "EQCNotFoundError",
    "EQCRateLimitError",
    "EQCStoppedError",
    "LocalRateLimiter",
    "RateLimiter",
    "StoppableRateLimiter",
    "wait_or_stop",
]

logger = logging.getLogger("company_enrichment.eqc")

DEFAULT_BASE_URL: Final = "https://eqc.pingan.com"
SEARCH_PATH: Final = "/kg-api-hfd/api/search/"
DETAIL_PATH: Final = "/kg-api-hfd/api/search/findDepart"

#: The longest wait a ``Retry-After`` header can impose on one retry.
RETRY_AFTER_CAP: Final = 300.0

_T = TypeVar("_T")


# --------------------------------------------------------------------------------------------------- models


def _id_to_str(value: Any) -> Any:
    """EQC sends companyId as a string, but older answers carry a bare number: accept both, keep strings."""
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return value


class CompanySearchResult(BaseModel):
    """One entry of a search answer. EQC gives no match score, only ``type`` (how it matched) and its order.

    ``raw`` is the entry exactly as EQC sent it: the database scores and keeps that (settle_lookups).
    """

    model_config = ConfigDict(frozen=True, populate_by_name=True)

    company_id: str = Field(validation_alias=AliasChoices("companyId", "company_id"), min_length=1)
    company_full_name: str = Field(validation_alias=AliasChoices("companyFullName", "company_full_name"), min_length=1)
    unite_code: str | None = None
    match_type: str | None = Field(None, validation_alias=AliasChoices("type", "match_type"))
    raw: dict[str, Any] = Field(default_factory=dict)

    @field_validator("company_id", mode="before")
    @classmethod
    def _coerce_company_id(cls, value: Any) -> Any:
        return _id_to_str(value)


class CompanyDetail(BaseModel):
    """The business record of one company (``businessInfodto``), with the whole record kept in ``raw``."""

    model_config = ConfigDict(frozen=True)

    company_id: str
    company_full_name: str | None
    unite_code: str | None
    business_status: str | None
    legal_person_name: str | None
    address: str | None
    registered_date: str | None
    industry_name: str | None
    raw: dict[str, Any]


# --------------------------------------------------------------------------------------------------- errors


class EQCClientError(Exception):
    """Base of every EQC failure: a transient failure that outlived its retries, a malformed answer, and so on.

    ``path`` is the API path (no query string, no token); ``status_code`` is the last HTTP status, if any.
    """

    def __init__(self, message: str, *, path: str | None = None, status_code: int | None = None) -> None:
        super().__init__(message)
        self.path = path
        self.status_code = status_code


class EQCAuthenticationError(EQCClientError):
    """The token was refused (401) or has expired (``{"error": "TokenExpired"}``). Never retried."""


class EQCNotFoundError(EQCClientError):
    """EQC does not know the company (404, or an empty ``businessInfodto``). Never retried."""


class EQCRateLimitError(EQCClientError):
    """EQC kept answering 429 after every retry. ``retry_after`` is the last ``Retry-After`` in seconds, if any."""

    def __init__(
        self,
        message: str,
        *,
        retry_after: float | None = None,
        path: str | None = None,
        status_code: int | None = 429,
    ) -> None:
        super().__init__(message, path=path, status_code=status_code)
        self.retry_after = retry_after


class EQCStoppedError(EQCClientError):
    """The caller's stop event was set while the client waited to send a request: nothing more was sent."""


class EQCConfigurationError(ValueError):
    """A token or base URL the client cannot use. ``setting`` says which ("token" or "base_url").

    The message never holds the token, nor credentials from the URL.
    """

    def __init__(self, message: str, *, setting: str) -> None:
        super().__init__(message)
        self.setting = setting


class _MalformedResponseError(Exception):
    """Internal: a 2xx answer that is not JSON or not of the documented shape. Retried like a 5xx."""


# --------------------------------------------------------------------------------------------------- rate limiting


class RateLimiter(Protocol):
    """Something that paces requests. ``acquire`` blocks until one request may be sent."""

    def acquire(self) -> None: ...


class EQCObserver(Protocol):
    """Told about every EQC request (its result class and latency) and every wait for the rate limit (metrics).
    Result classes: ok, 401 (a refused token, TokenExpired included), 404, 429, 5xx, timeout, malformed (a body
    that is not what EQC sends, or undecodable), transport (no answer: connection refused, reset), other."""

    def eqc_request(self, result: str, seconds: float) -> None: ...

    def eqc_rate_limit_wait(self, seconds: float) -> None: ...


@runtime_checkable
class StoppableRateLimiter(RateLimiter, Protocol):
    """A rate limiter whose wait can be cut short: ``acquire_unless(stop)`` returns False, without a slot, as soon
    as ``stop`` is set."""

    def acquire_unless(self, stop: threading.Event | None) -> bool: ...


def wait_or_stop(seconds: float, stop: threading.Event | None, sleep: Callable[[float], None] | None = None) -> bool:
    """Wait ``seconds``, waking early when ``stop`` is set; True when stopped.

    ``sleep``, when given (tests), does the waiting instead and ``stop`` is only looked at afterwards.
    """
    if sleep is not None:
        sleep(seconds)
        return stop is not None and stop.is_set()
    if stop is None:
        time.sleep(seconds)
        return False
    return stop.wait(seconds)


class LocalRateLimiter:
    """An in-process token bucket: ``rate_per_minute`` requests a minute, bursts of up to ``rate_per_minute``.

    Thread-safe: the lock is held while waiting, so waiting threads are served one at a time. ``clock`` and
    ``sleep`` are injectable; a wait is counted as elapsed once ``sleep`` returns even if ``clock`` disagrees,
    so a fake sleep that does not advance the clock cannot make ``acquire`` spin.
    """

    def __init__(
        self,
        rate_per_minute: int,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] | None = None,
    ) -> None:
        if isinstance(rate_per_minute, bool) or not isinstance(rate_per_minute, int) or rate_per_minute <= 0:
            raise ValueError(f"rate_per_minute must be a positive integer, got {rate_per_minute!r}")
        self._capacity = float(rate_per_minute)
        self._per_second = rate_per_minute / 60.0
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        self._tokens = self._capacity
        self._updated = clock()

    @property
    def rate_per_minute(self) -> int:
        return int(self._capacity)

    def __repr__(self) -> str:
        return f"LocalRateLimiter(rate_per_minute={self.rate_per_minute})"

    def _refill(self, now: float) -> None:
        elapsed = now - self._updated
        if elapsed > 0:
            self._tokens = min(self._capacity, self._tokens + elapsed * self._per_second)
            self._updated = now

    def acquire(self) -> None:
        self.acquire_unless(None)

    def acquire_unless(self, stop: threading.Event | None) -> bool:
        with self._lock:
            now = self._clock()
            self._refill(now)
            if self._tokens >= 1.0:
                self._tokens -= 1.0
                return True
            wait = (1.0 - self._tokens) / self._per_second
            logger.debug("EQC rate limiter: waiting %.3f s for a request slot", wait)
            if wait_or_stop(wait, stop, self._sleep):
                return False
            self._refill(max(self._clock(), now + wait))
            self._tokens = max(0.0, self._tokens - 1.0)
            return True


# --------------------------------------------------------------------------------------------------- parsing


def _optional_str(value: Any) -> str | None:
    """A scalar field of ``businessInfodto`` as text; blank or non-scalar values become None (``raw`` keeps them)."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, str):
        stripped = value.strip()
        return stripped or None
    if isinstance(value, int | float):
        return str(value)
    return None


def _first_present(data: dict[str, Any], *keys: str) -> str | None:
    for key in keys:
        value = _optional_str(data.get(key))
        if value is not None:
            return value
    return None


def _parse_search(data: Any) -> list[CompanySearchResult]:
    if not isinstance(data, dict):
        raise _MalformedResponseError(f"search answer is a JSON {type(data).__name__}, not an object")
    items = data.get("list")
    if not isinstance(items, list):
        raise _MalformedResponseError("search answer has no 'list' array")
    results: list[CompanySearchResult] = []
    for index, item in enumerate(items):
        if not isinstance(item, dict):
            raise _MalformedResponseError(f"search answer item {index} is not an object")
        company_id = _id_to_str(item.get("companyId"))
        full_name = item.get("companyFullName")
        if not isinstance(company_id, str) or not company_id.strip():
            raise _MalformedResponseError(f"search answer item {index} has no companyId")
        if not isinstance(full_name, str) or not full_name.strip():
            raise _MalformedResponseError(f"search answer item {index} has no companyFullName")
        results.append(
            CompanySearchResult(
                company_id=company_id.strip(),
                company_full_name=full_name.strip(),
                unite_code=_optional_str(item.get("unite_code")),
                match_type=_optional_str(item.get("type")),
                raw=item,
            )
        )
    return results


def _parse_detail(data: Any, requested_id: str, path: str) -> CompanyDetail:
    if not isinstance(data, dict):
        raise _MalformedResponseError(f"detail answer is a JSON {type(data).__name__}, not an object")
    info = data.get("businessInfodto")
    if info is None or info == {}:
        raise EQCNotFoundError(f"EQC has no company with id {requested_id!r} ({path})", path=path, status_code=200)
    if not isinstance(info, dict):
        raise _MalformedResponseError("detail answer has a 'businessInfodto' that is not an object")
    returned_id = _id_to_str(info.get("companyId"))
    company_id = returned_id.strip() if isinstance(returned_id, str) and returned_id.strip() else requested_id
    return CompanyDetail(
        company_id=company_id,
        company_full_name=_first_present(info, "companyFullName", "company_name"),
        unite_code=_first_present(info, "unite_code"),
        business_status=_first_present(info, "business_status", "status"),
        legal_person_name=_first_present(info, "legal_person_name"),
        address=_first_present(info, "address"),
        registered_date=_first_present(info, "registered_date"),
        industry_name=_first_present(info, "industry_name"),
        raw=dict(info),
    )


def _is_token_expired(data: Any) -> bool:
    return isinstance(data, dict) and str(data.get("error", "")).strip().lower() == "tokenexpired"


def _parse_retry_after(value: str | None) -> float | None:
    """``Retry-After`` in seconds when it is a number (EQC sends seconds); anything else counts as absent."""
    if value is None:
        return None
    try:
        seconds = float(value.strip())
    except ValueError:
        return None
    if math.isnan(seconds) or math.isinf(seconds):
        return None
    return max(0.0, seconds)


def _result_class(status: int, body_ok: bool, body: Any, parse: Callable[[Any], Any]) -> str:
    """The class of an EQC answer for metrics (see :class:`EQCObserver`)."""
    if status == 401 or (body_ok and _is_token_expired(body)):
        return "401"
    if status in (404, 429):
        return str(status)
    if status >= 500:
        return "5xx"
    if 200 <= status < 300:
        if not body_ok:
            return "malformed"
        try:
            parse(body)
        except Exception:  # _MalformedResponseError, or anything else parsing may raise
            return "malformed"
        return "ok"
    return "other"


def _validated_token(token: str | SecretStr) -> SecretStr:
    raw = token.get_secret_value() if isinstance(token, SecretStr) else token
    if not isinstance(raw, str):
        raise TypeError("token must be a str or a pydantic SecretStr")
    raw = raw.strip()
    if not raw:
        raise EQCConfigurationError("the EQC token is empty", setting="token")
    # Checked here because httpx's own encoding error would carry the header value in its args.
    if not all(0x21 <= ord(char) <= 0x7E for char in raw):
        raise EQCConfigurationError(
            "the EQC token must be printable ASCII without spaces, the bare token without a scheme such as"
            " 'Bearer' (the value is not shown)",
            setting="token",
        )
    return SecretStr(raw)


_USERINFO = re.compile(r"(?<=//)[^/?#]*@")


def _redacted(base_url: str) -> str:
    """The URL as it may be shown: credentials replaced by ***."""
    return _USERINFO.sub("***@", base_url)


def _validated_base_url(base_url: str) -> str:
    shown = _redacted(str(base_url))
    try:
        url = httpx.URL(base_url.strip())
    except (httpx.InvalidURL, TypeError):
        raise EQCConfigurationError(f"base_url is not a valid URL: {shown!r}", setting="base_url") from None
    if url.scheme not in ("http", "https") or not url.host:
        raise EQCConfigurationError(f"base_url must be an http(s) URL with a host, got {shown!r}", setting="base_url")
    if url.userinfo:
        raise EQCConfigurationError(
            "base_url must not carry credentials (the token is passed separately)", setting="base_url"
        )
    if url.query or url.fragment:
        raise EQCConfigurationError(f"base_url must not have a query or fragment, got {shown!r}", setting="base_url")
    return str(url).rstrip("/")


# --------------------------------------------------------------------------------------------------- client


class EQCClient:
    """A synchronous EQC client with pacing, retries and error mapping.

    ``rate_limiter`` is called before every HTTP attempt, retries included; it defaults to a
    :class:`LocalRateLimiter` of ``rate_limit_per_minute`` that waits with ``sleep``. ``retry_max`` is the number
    of retries after the first attempt. Every wait (backoff, ``Retry-After``, pacing) wakes on the ``stop`` event
    given to the call; ``sleep`` (tests) replaces the real waits. ``request_count`` counts the HTTP requests
    actually sent.
    """

    def __init__(
        self,
        base_url: str,
        token: str | SecretStr,
        *,
        timeout: float = 30.0,
        rate_limit_per_minute: int = 10,
        retry_max: int = 3,
        transport: httpx.BaseTransport | None = None,
        rate_limiter: RateLimiter | None = None,
        backoff_base: float = 1.0,
        backoff_cap: float = 30.0,
        sleep: Callable[[float], None] | None = None,
        observer: EQCObserver | None = None,
    ) -> None:
        self._base_url = _validated_base_url(base_url)
        self._observer = observer
        self._token = _validated_token(token)
        if not timeout > 0:
            raise ValueError(f"timeout must be positive, got {timeout!r}")
        if isinstance(retry_max, bool) or not isinstance(retry_max, int) or retry_max < 0:
            raise ValueError(f"retry_max must be an integer >= 0, got {retry_max!r}")
        if backoff_base < 0 or backoff_cap < 0:
            raise ValueError("backoff_base and backoff_cap must be >= 0")
        self._retry_max = retry_max
        self._backoff_base = float(backoff_base)
        self._backoff_cap = float(backoff_cap)
        self._sleep = sleep
        self._rate_limiter: RateLimiter = (
            rate_limiter if rate_limiter is not None else LocalRateLimiter(rate_limit_per_minute, sleep=sleep)
        )
        self._http = httpx.Client(
            base_url=self._base_url,
            timeout=timeout,
            transport=transport,
            follow_redirects=False,
            headers={"Accept": "application/json"},
        )
        self._count_lock = threading.Lock()
        self.request_count = 0

    @property
    def base_url(self) -> str:
        return self._base_url

    def __repr__(self) -> str:
        return f"EQCClient(base_url={self._base_url!r})"

    # -- lifecycle

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # -- public calls

    def search_company(self, name: str, *, stop: threading.Event | None = None) -> list[CompanySearchResult]:
        """Search EQC by company name; ``[]`` when EQC knows no match. ``stop`` cuts every wait short."""
        if not isinstance(name, str) or not name.strip():
            raise ValueError("name must be a non-blank string")
        return self._request(SEARCH_PATH, {"key": name.strip()}, _parse_search, stop)

    def get_company_detail(self, company_id: str, *, stop: threading.Event | None = None) -> CompanyDetail:
        """The business record of ``company_id``; :class:`EQCNotFoundError` when EQC has none."""
        if not isinstance(company_id, str) or not company_id.strip():
            raise ValueError("company_id must be a non-blank string")
        requested = company_id.strip()
        return self._request(
            DETAIL_PATH, {"targetId": requested}, lambda data: _parse_detail(data, requested, DETAIL_PATH), stop
        )

    # -- the retry loop

    def _backoff(self, attempt: int) -> float:
        """Full jitter: uniform over [0, min(cap, base * 2**attempt)], attempt counting from 0."""
        return random.uniform(0.0, min(self._backoff_cap, self._backoff_base * 2.0**attempt))

    def _acquire(self, path: str, stop: threading.Event | None) -> None:
        """A rate-limit slot, or EQCStoppedError when ``stop`` is set first."""
        if stop is not None and stop.is_set():
            raise EQCStoppedError(f"stopped before EQC GET {path}", path=path)
        started = time.monotonic()
        try:
            if stop is not None and isinstance(self._rate_limiter, StoppableRateLimiter):
                got = self._rate_limiter.acquire_unless(stop)
            else:
                self._rate_limiter.acquire()
                got = True
        finally:
            if self._observer is not None:
                self._observer.eqc_rate_limit_wait(time.monotonic() - started)
        if not got or (stop is not None and stop.is_set()):
            raise EQCStoppedError(f"stopped while waiting to send EQC GET {path}", path=path)

    def _observe(self, result: str, started: float) -> None:
        if self._observer is not None:
            self._observer.eqc_request(result, time.monotonic() - started)

    def _request(
        self, path: str, params: dict[str, str], parse: Callable[[Any], _T], stop: threading.Event | None = None
    ) -> _T:
        attempts = self._retry_max + 1
        last_failure = ""
        last_status: int | None = None
        last_exc: BaseException | None = None
        last_retry_after: float | None = None
        rate_limited = False

        for attempt in range(attempts):
            self._acquire(path, stop)
            with self._count_lock:
                self.request_count += 1
            logger.debug("EQC GET %s attempt %d/%d", path, attempt + 1, attempts)
            started = time.monotonic()
            wait: float | None = None
            try:
                response = self._http.get(path, params=params, headers={"token": self._token.get_secret_value()})
            except httpx.TimeoutException as exc:
                self._observe("timeout", started)
                last_failure, last_status, last_exc, rate_limited = f"timeout ({type(exc).__name__})", None, exc, False
            except httpx.TransportError as exc:
                self._observe("transport", started)
                last_failure, last_status, last_exc, rate_limited = (
                    f"transport error ({type(exc).__name__})",
                    None,
                    exc,
                    False,
                )
            except httpx.HTTPError as exc:
                self._observe("malformed", started)
                # Decoding errors (a body that is not what Content-Encoding says), too many redirects, a bad URL...
                last_failure, last_status, last_exc, rate_limited = (
                    f"HTTP error ({type(exc).__name__})",
                    None,
                    exc,
                    False,
                )
            else:
                elapsed = time.monotonic() - started
                status = response.status_code
                last_status, last_exc = status, None
                body: Any = None
                body_ok = True
                try:
                    body = response.json()
                except ValueError:
                    body_ok = False

                self._observe(_result_class(status, body_ok, body, parse), started)
                if status == 401 or (body_ok and _is_token_expired(body)):
                    reason = "token expired" if status != 401 else "HTTP 401"
                    logger.warning("EQC GET %s refused the token (%s) after %.3f s", path, reason, elapsed)
                    raise EQCAuthenticationError(
                        f"EQC refused the token on {path} ({reason}); renew WDH_EQC_TOKEN",
                        path=path,
                        status_code=status,
                    )
                if status == 404:
                    logger.info("EQC GET %s -> 404 in %.3f s", path, elapsed)
                    raise EQCNotFoundError(f"EQC answered 404 on {path}", path=path, status_code=404)
                if status == 429:
                    retry_after = _parse_retry_after(response.headers.get("Retry-After"))
                    last_retry_after = retry_after
                    rate_limited = True
                    last_failure = "HTTP 429"
                    if retry_after is not None:
                        wait = min(retry_after, RETRY_AFTER_CAP)
                elif status >= 500:
                    rate_limited = False
                    last_failure = f"HTTP {status}"
                elif 200 <= status < 300:
                    rate_limited = False
                    if not body_ok:
                        last_failure = f"HTTP {status} with a body that is not JSON"
                    else:
                        try:
                            result = parse(body)
                        except _MalformedResponseError as exc:
                            last_failure = f"HTTP {status} with an unexpected body: {exc}"
                        else:
                            logger.info("EQC GET %s -> %d in %.3f s (attempt %d)", path, status, elapsed, attempt + 1)
                            return result
                else:
                    logger.warning("EQC GET %s -> unexpected HTTP %d in %.3f s", path, status, elapsed)
                    raise EQCClientError(f"EQC answered HTTP {status} on {path}", path=path, status_code=status)

            if attempt + 1 < attempts:
                if wait is None:
                    wait = self._backoff(attempt)
                logger.warning(
                    "EQC GET %s failed (%s) on attempt %d/%d; retrying in %.3f s",
                    path,
                    last_failure,
                    attempt + 1,
                    attempts,
                    wait,
                )
                if wait_or_stop(wait, stop, self._sleep):
                    raise EQCStoppedError(f"stopped while waiting to retry EQC GET {path}", path=path)
            else:
                logger.warning(
                    "EQC GET %s failed (%s) on attempt %d/%d; giving up", path, last_failure, attempts, attempts
                )

        message = f"EQC GET {path} failed after {attempts} attempt{'s' if attempts != 1 else ''}: {last_failure}"
        if rate_limited:
            raise EQCRateLimitError(message, retry_after=last_retry_after, path=path, status_code=429)
        raise EQCClientError(message, path=path, status_code=last_status) from last_exc
