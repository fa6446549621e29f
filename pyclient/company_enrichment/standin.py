"""A local stand-in for EQC that speaks its protocol, for development and integration tests.

The real EQC is only reachable from the customer's network. This server answers the same two requests the same way
(see :mod:`company_enrichment.eqc`), from a fixtures file, and lets a test inject faults. It binds to a loopback
address only: any other host is refused with :class:`ValueError`. It uses the standard library's
:class:`http.server.ThreadingHTTPServer`; pydantic validates the fixtures and faults.

Fixtures file (UTF-8 JSON)::

    {"token": "demo-token",
     "companies": [
       {"companyId": "614810477",
        "companyFullName": "中国平安保险（集团）股份有限公司",
        "unite_code": "91440300100012316L",
        "aliases": ["中国平安", "平安集团"],
        "detail": {"business_status": "存续", "legal_person_name": "马明哲", "address": "深圳市...",
                   "registered_date": "1988-03-21", "industry_name": "保险业"}}
     ]}

``token`` is the value the ``token`` header must carry. Per company, ``companyId`` (a string; a bare number is
accepted) and ``companyFullName`` are required and ids are unique; ``unite_code`` may be null or absent;
``aliases``, ``pinyin`` (keys matched by pinyin, rightly or not), ``untyped`` and ``detail`` are optional.
``detail`` is free-form: its fields are returned inside ``businessInfodto`` next to companyId, companyFullName and
unite_code (which it cannot override).

Protocol, as EQC:

* ``GET /kg-api-hfd/api/search/?key=<name>`` -> 200
  ``{"list": [{"companyId", "companyFullName", "unite_code", "type"}]}``. A company matches when the key, compared
  after NFKC, removing all whitespace and lower-casing, equals its full name (type ``全称精确匹配``) or one of its
  aliases (``模糊匹配``) -- these first --, or one of its ``pinyin`` keys (``拼音``), or is a substring of its full
  name and at least two characters long (``模糊匹配``). A company marked ``untyped`` has no ``type``. At most 10
  results, in fixture order within each group; no match gives ``{"list": []}``.
* ``GET /kg-api-hfd/api/search/findDepart?targetId=<companyId>`` -> 200 ``{"businessInfodto": {...}}``; an unknown
  id gives 200 ``{"businessInfodto": {}}``.
* A missing or wrong ``token`` header gives 401 ``{"error": "Unauthorized"}``.

Faults (:class:`Fault`) are queued and consumed first-in first-out by the requests they match (``name`` equal to the
search key or targetId, or any request when ``name`` is None), after the token check:

* ``"429"``: 429 ``{"error": "TooManyRequests"}``, with ``Retry-After: <retry_after>`` when set;
* ``"500"``: 500 ``{"error": "InternalServerError"}``;
* ``"slow"``: waits ``delay`` seconds, then answers normally;
* ``"malformed"``: 200 with a truncated JSON body (``{"list": [``);
* ``"expired"``: 200 ``{"error": "TokenExpired"}``;
* ``"401"``: 401 ``{"error": "Unauthorized"}``;
* ``"empty"``: 200 with an empty answer (``{"list": []}`` or ``{"businessInfodto": {}}``).

Control endpoints, for tests that drive a separate process (no token needed; the server is loopback only):

* ``GET /_standin/stats`` -> 200 :class:`StandinStats` as JSON;
* ``GET /_standin/requests`` -> 200 ``{"requests": [RequestRecord...]}``;
* ``GET /_standin/faults`` -> 200 ``{"faults": [Fault...]}`` (pending faults, ``times`` = what is left);
* ``POST /_standin/faults`` with a :class:`Fault` as the JSON body -> 204 (400 when invalid);
* ``DELETE /_standin/faults`` -> 204;
* ``POST /_standin/reset`` -> 204 (clears the counters and the request log, not the faults).

Requests are counted when they arrive, so the counters do not depend on how long a slow answer takes. The request
log records whether a token header was present, never its value, and when each request arrived (``at``, seconds
since the epoch): a test measures the shared rate limit from the server's side with it. It keeps the last
:data:`REQUEST_LOG_LIMIT` requests.
"""

from __future__ import annotations

import hmac
import ipaddress
import json
import logging
import signal
import socket
import socketserver
import sys
import threading
import time
import unicodedata
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import FrameType, TracebackType
from typing import Any, Final, Literal, Self, cast
from urllib.parse import parse_qs, urlsplit

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from company_enrichment.eqc import DETAIL_PATH, SEARCH_PATH

__all__ = [
    "EQCStandin",
    "Fault",
    "FaultKind",
    "FixtureCompany",
    "RequestRecord",
    "StandinFixtures",
    "StandinStats",
    "load_fixtures",
    "serve",
]

logger = logging.getLogger("company_enrichment.standin")

MAX_SEARCH_RESULTS: Final = 10
REQUEST_LOG_LIMIT: Final = 100_000
_MAX_BODY: Final = 64 * 1024
_SEARCH_PATHS: Final = frozenset({SEARCH_PATH, SEARCH_PATH.rstrip("/")})
_CONTROL_PREFIX: Final = "/_standin/"

FaultKind = Literal["429", "500", "slow", "malformed", "expired", "401", "empty"]


# --------------------------------------------------------------------------------------------------- models


class FixtureCompany(BaseModel):
    """One company of the fixtures file."""

    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)

    company_id: str = Field(alias="companyId", min_length=1)
    company_full_name: str = Field(alias="companyFullName", min_length=1)
    unite_code: str | None = None
    aliases: tuple[str, ...] = ()
    pinyin: tuple[str, ...] = ()
    """Keys EQC matches to this company by pinyin (type 拼音), rightly or not."""
    untyped: bool = False
    """Its candidates carry no ``type`` (EQC sometimes leaves it out)."""
    detail: dict[str, Any] = Field(default_factory=dict)

    @field_validator("company_id", mode="before")
    @classmethod
    def _coerce_company_id(cls, value: Any) -> Any:
        if isinstance(value, int) and not isinstance(value, bool):
            return str(value)
        return value


class StandinFixtures(BaseModel):
    """The whole fixtures file: the expected token and the companies."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    token: str = Field(min_length=1)
    companies: tuple[FixtureCompany, ...] = ()

    @model_validator(mode="after")
    def _unique_ids(self) -> Self:
        seen: set[str] = set()
        for company in self.companies:
            if company.company_id in seen:
                raise ValueError(f"duplicate companyId {company.company_id!r} in the fixtures")
            seen.add(company.company_id)
        return self


class Fault(BaseModel):
    """A misbehaviour to serve ``times`` times (None: forever) to requests for ``name`` (None: any request)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: FaultKind
    times: int | None = Field(default=1, ge=1)
    name: str | None = None
    retry_after: float | None = Field(default=None, ge=0)
    delay: float = Field(default=0.0, ge=0, le=120)


class RequestRecord(BaseModel):
    """One EQC API request as the stand-in saw it. The token itself is never kept."""

    model_config = ConfigDict(frozen=True)

    path: str
    key: str | None
    status: int
    header_token_present: bool
    fault: FaultKind | None = None
    at: float = Field(default=0.0, description="when the request arrived (time.time(), taken under the log's lock)")


class StandinStats(BaseModel):
    """Counters over the EQC API requests (control endpoints are not counted).

    ``served_ok`` counts normal answers (slow ones included), ``faults_served`` the requests a fault was applied to,
    ``unauthorized`` those refused for their token. ``search_key_counts`` and ``detail_id_counts`` count every
    search and detail request by its key / targetId.
    """

    model_config = ConfigDict(frozen=True)

    total_requests: int = 0
    search_requests: int = 0
    detail_requests: int = 0
    served_ok: int = 0
    faults_served: int = 0
    unauthorized: int = 0
    search_key_counts: dict[str, int] = Field(default_factory=dict)
    detail_id_counts: dict[str, int] = Field(default_factory=dict)


def load_fixtures(source: StandinFixtures | Mapping[str, Any] | str | Path) -> StandinFixtures:
    """Fixtures from a model, a mapping or a path to a JSON file; ValueError when they are invalid."""
    if isinstance(source, StandinFixtures):
        return source
    if isinstance(source, Mapping):
        return StandinFixtures.model_validate(dict(source))
    path = Path(source)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise ValueError(f"{path}: not valid JSON: {exc}") from exc
    return StandinFixtures.model_validate(data)


# --------------------------------------------------------------------------------------------------- state


def _normalize(text: str) -> str:
    """The stand-in's deliberately simple comparison key: NFKC, no whitespace at all, lower case."""
    return "".join(unicodedata.normalize("NFKC", text).split()).lower()


@dataclass(frozen=True)
class _IndexedCompany:
    company: FixtureCompany
    name_key: str
    alias_keys: frozenset[str]
    pinyin_keys: frozenset[str]


@dataclass
class _PendingFault:
    fault: Fault
    remaining: int | None

    def as_fault(self) -> Fault:
        return self.fault.model_copy(update={"times": self.remaining})


@dataclass
class _Counters:
    total_requests: int = 0
    search_requests: int = 0
    detail_requests: int = 0
    served_ok: int = 0
    faults_served: int = 0
    unauthorized: int = 0
    search_key_counts: dict[str, int] = field(default_factory=dict)
    detail_id_counts: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class _Decision:
    authorized: bool
    fault: Fault | None


class _State:
    """Fixtures (immutable) plus counters, fault queue and request log (under one lock)."""

    def __init__(self, fixtures: StandinFixtures) -> None:
        self.fixtures = fixtures
        self._by_id = {company.company_id: company for company in fixtures.companies}
        self._index = [
            _IndexedCompany(
                company,
                _normalize(company.company_full_name),
                frozenset(map(_normalize, company.aliases)),
                frozenset(map(_normalize, company.pinyin)),
            )
            for company in fixtures.companies
        ]
        self._token = fixtures.token.encode("utf-8")
        self._lock = threading.Lock()
        self._faults: list[_PendingFault] = []
        self._counters = _Counters()
        self._log: deque[RequestRecord] = deque(maxlen=REQUEST_LOG_LIMIT)

    # -- answers

    @staticmethod
    def _summary(company: FixtureCompany) -> dict[str, Any]:
        return {
            "companyId": company.company_id,
            "companyFullName": company.company_full_name,
            "unite_code": company.unite_code,
        }

    def search(self, key: str) -> dict[str, Any]:
        wanted = _normalize(key)
        exact: list[dict[str, Any]] = []
        partial: list[dict[str, Any]] = []
        if wanted:
            for entry in self._index:
                if wanted == entry.name_key:
                    exact.append(self._candidate(entry.company, "全称精确匹配"))
                elif wanted in entry.alias_keys:
                    exact.append(self._candidate(entry.company, "模糊匹配"))
                elif wanted in entry.pinyin_keys:
                    partial.append(self._candidate(entry.company, "拼音"))
                elif len(wanted) >= 2 and wanted in entry.name_key:
                    partial.append(self._candidate(entry.company, "模糊匹配"))
        return {"list": (exact + partial)[:MAX_SEARCH_RESULTS]}

    def _candidate(self, company: FixtureCompany, match_type: str) -> dict[str, Any]:
        """One item of a search answer: the summary and how EQC matched it (``type``), unless untyped."""
        summary = self._summary(company)
        return summary if company.untyped else {**summary, "type": match_type}

    def detail(self, target_id: str) -> dict[str, Any]:
        company = self._by_id.get(target_id.strip())
        if company is None:
            return {"businessInfodto": {}}
        return {"businessInfodto": {**company.detail, **self._summary(company)}}

    # -- accounting

    def token_ok(self, presented: str | None) -> bool:
        return presented is not None and hmac.compare_digest(presented.encode("utf-8"), self._token)

    def admit(self, *, path: str, is_search: bool, key: str | None, token: str | None) -> _Decision:
        """Count the request, check its token, take the first matching fault, and log it, all at once."""
        authorized = self.token_ok(token)
        fault: Fault | None = None
        with self._lock:
            arrived = time.time()
            counters = self._counters
            counters.total_requests += 1
            counts = counters.search_key_counts if is_search else counters.detail_id_counts
            if is_search:
                counters.search_requests += 1
            else:
                counters.detail_requests += 1
            if key is not None:
                counts[key] = counts.get(key, 0) + 1
            if not authorized:
                counters.unauthorized += 1
                status = 401
            else:
                fault = self._take_fault(key)
                if fault is not None:
                    counters.faults_served += 1
                if fault is None or fault.kind == "slow":
                    counters.served_ok += 1
                status = _fault_status(fault)
            self._log.append(
                RequestRecord(
                    path=path,
                    key=key,
                    status=status,
                    header_token_present=token is not None,
                    fault=fault.kind if fault is not None else None,
                    at=arrived,
                )
            )
        return _Decision(authorized=authorized, fault=fault)

    def _take_fault(self, key: str | None) -> Fault | None:
        for index, pending in enumerate(self._faults):
            if pending.fault.name is None or pending.fault.name == key:
                if pending.remaining is not None:
                    pending.remaining -= 1
                    if pending.remaining <= 0:
                        del self._faults[index]
                return pending.fault
        return None

    def inject(self, fault: Fault) -> None:
        with self._lock:
            self._faults.append(_PendingFault(fault, fault.times))

    def clear_faults(self) -> None:
        with self._lock:
            self._faults.clear()

    def pending_faults(self) -> list[Fault]:
        with self._lock:
            return [pending.as_fault() for pending in self._faults]

    def stats(self) -> StandinStats:
        with self._lock:
            counters = self._counters
            return StandinStats(
                total_requests=counters.total_requests,
                search_requests=counters.search_requests,
                detail_requests=counters.detail_requests,
                served_ok=counters.served_ok,
                faults_served=counters.faults_served,
                unauthorized=counters.unauthorized,
                search_key_counts=dict(counters.search_key_counts),
                detail_id_counts=dict(counters.detail_id_counts),
            )

    def request_log(self) -> list[RequestRecord]:
        with self._lock:
            return list(self._log)

    def reset_stats(self) -> None:
        with self._lock:
            self._counters = _Counters()
            self._log.clear()


def _fault_status(fault: Fault | None) -> int:
    if fault is None:
        return 200
    return {"429": 429, "500": 500, "401": 401}.get(fault.kind, 200)


# --------------------------------------------------------------------------------------------------- HTTP


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], state: _State) -> None:
        self.state = state
        super().__init__(address, _Handler)

    def server_bind(self) -> None:
        # HTTPServer.server_bind resolves the host's FQDN, which can stall on a sandbox without DNS.
        socketserver.TCPServer.server_bind(self)
        host, port = self.server_address[:2]
        self.server_name = str(host)
        self.server_port = int(port)

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that gave up (a timeout against a slow fault) makes the write fail: expected, logged quietly.
        # Anything else is a bug in the stand-in and is logged loudly.
        if isinstance(sys.exc_info()[1], ConnectionError):
            logger.debug("EQC stand-in: client %s went away", client_address)
        else:
            logger.exception("EQC stand-in: error while answering %s", client_address)


class _Server6(_Server):
    address_family = socket.AF_INET6


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "EQCStandin/1.0"
    sys_version = ""
    # Headers and body are written separately; with Nagle on, a keep-alive client waits ~40 ms for each answer.
    disable_nagle_algorithm = True

    @property
    def _state(self) -> _State:
        return cast(_Server, self.server).state

    def log_message(self, format: str, *args: Any) -> None:
        # The request line holds the path and query (the key), never headers, so never the token.
        logger.debug("EQC stand-in %s: " + format, self.address_string(), *args)

    def do_GET(self) -> None:
        self._dispatch()

    def do_POST(self) -> None:
        self._dispatch()

    def do_DELETE(self) -> None:
        self._dispatch()

    def do_PUT(self) -> None:
        self._dispatch()

    # -- plumbing

    def _read_body(self) -> bytes | None:
        """The request body; None (after answering 413) when it is too large to read."""
        length_header = self.headers.get("Content-Length")
        try:
            length = int(length_header) if length_header else 0
        except ValueError:
            length = -1
        if length < 0 or length > _MAX_BODY:
            self.close_connection = True
            self._send_json(413, {"error": "PayloadTooLarge"})
            return None
        return self.rfile.read(length) if length else b""

    def _send_body(self, status: int, body: bytes, headers: Mapping[str, str] | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def _send_json(self, status: int, payload: Any, headers: Mapping[str, str] | None = None) -> None:
        self._send_body(status, json.dumps(payload, ensure_ascii=False).encode("utf-8"), headers)

    def _send_no_content(self) -> None:
        self.send_response(204)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def _dispatch(self) -> None:
        body = self._read_body()
        if body is None:
            return
        parts = urlsplit(self.path)
        if parts.path.startswith(_CONTROL_PREFIX):
            self._control(parts.path, body)
        elif parts.path in _SEARCH_PATHS or parts.path == DETAIL_PATH:
            if self.command != "GET":
                self._send_json(405, {"error": "MethodNotAllowed"}, {"Allow": "GET"})
            else:
                self._api(parts.path, parts.query)
        else:
            self._send_json(404, {"error": "NotFound"})

    # -- EQC protocol

    def _api(self, path: str, query: str) -> None:
        is_search = path != DETAIL_PATH
        params = parse_qs(query, keep_blank_values=True)
        values = params.get("key" if is_search else "targetId")
        key = values[0] if values else None
        decision = self._state.admit(path=path, is_search=is_search, key=key, token=self.headers.get("token"))
        if not decision.authorized:
            self._send_json(401, {"error": "Unauthorized"})
            return
        fault = decision.fault
        if fault is not None:
            if fault.kind == "slow":
                time.sleep(fault.delay)
            elif fault.kind == "429":
                headers = {} if fault.retry_after is None else {"Retry-After": _format_seconds(fault.retry_after)}
                self._send_json(429, {"error": "TooManyRequests"}, headers)
                return
            elif fault.kind == "500":
                self._send_json(500, {"error": "InternalServerError"})
                return
            elif fault.kind == "401":
                self._send_json(401, {"error": "Unauthorized"})
                return
            elif fault.kind == "expired":
                self._send_json(200, {"error": "TokenExpired"})
                return
            elif fault.kind == "malformed":
                self._send_body(200, b'{"list": [' if is_search else b'{"businessInfodto": {')
                return
            elif fault.kind == "empty":
                self._send_json(200, {"list": []} if is_search else {"businessInfodto": {}})
                return
        if is_search:
            self._send_json(200, self._state.search(key or ""))
        else:
            self._send_json(200, self._state.detail(key or ""))

    # -- control endpoints

    def _control(self, path: str, body: bytes) -> None:
        state = self._state
        route = (self.command, path.removeprefix(_CONTROL_PREFIX).rstrip("/"))
        if route == ("GET", "stats"):
            self._send_json(200, state.stats().model_dump(mode="json"))
        elif route == ("GET", "requests"):
            self._send_json(200, {"requests": [record.model_dump(mode="json") for record in state.request_log()]})
        elif route == ("GET", "faults"):
            self._send_json(200, {"faults": [fault.model_dump(mode="json") for fault in state.pending_faults()]})
        elif route == ("POST", "faults"):
            try:
                fault = Fault.model_validate_json(body or b"{}")
            except ValidationError as exc:
                # exc.json() is always serializable; exc.errors() may hold the raw input bytes
                self._send_json(400, {"error": "InvalidFault", "detail": json.loads(exc.json(include_url=False))})
                return
            state.inject(fault)
            self._send_no_content()
        elif route == ("DELETE", "faults"):
            state.clear_faults()
            self._send_no_content()
        elif route == ("POST", "reset"):
            state.reset_stats()
            self._send_no_content()
        elif route[1] in {"stats", "requests", "faults", "reset"}:
            self._send_json(405, {"error": "MethodNotAllowed"})
        else:
            self._send_json(404, {"error": "NotFound"})


def _format_seconds(seconds: float) -> str:
    return str(int(seconds)) if float(seconds).is_integer() else repr(float(seconds))


def _loopback_bind_address(host: str) -> str:
    """The address to bind for ``host``; ValueError unless it is loopback (127.0.0.0/8, ::1 or localhost)."""
    candidate = host.strip()
    if candidate.lower() == "localhost":
        return "127.0.0.1"
    try:
        address = ipaddress.ip_address(candidate.removeprefix("[").removesuffix("]"))
    except ValueError:
        raise ValueError(
            f"the EQC stand-in binds to loopback only; {host!r} is not a loopback address "
            "(use 127.0.0.1, ::1 or localhost)"
        ) from None
    if not address.is_loopback:
        raise ValueError(
            f"the EQC stand-in binds to loopback only; {host!r} is not a loopback address "
            "(use 127.0.0.1, ::1 or localhost)"
        )
    return str(address)


# --------------------------------------------------------------------------------------------------- public API


class EQCStandin:
    """The stand-in server, run in a daemon thread.

    ``with EQCStandin(fixtures).start() as eqc:`` (or ``with EQCStandin(fixtures) as eqc:``, which starts it)
    gives ``eqc.url`` and ``eqc.token`` to hand to an :class:`~company_enrichment.eqc.EQCClient`.
    """

    def __init__(
        self,
        fixtures: StandinFixtures | Mapping[str, Any] | str | Path,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        self._bind_address = _loopback_bind_address(host)
        if isinstance(port, bool) or not isinstance(port, int) or not 0 <= port <= 65535:
            raise ValueError(f"port must be an integer in 0..65535, got {port!r}")
        self._port = port
        self._state = _State(load_fixtures(fixtures))
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._lifecycle = threading.Lock()

    def __repr__(self) -> str:
        where = self.url if self._server is not None else "not started"
        return f"EQCStandin({where}, companies={len(self._state.fixtures.companies)})"

    @property
    def fixtures(self) -> StandinFixtures:
        return self._state.fixtures

    @property
    def token(self) -> str:
        return self._state.fixtures.token

    @property
    def running(self) -> bool:
        return self._server is not None

    @property
    def url(self) -> str:
        if self._server is None:
            raise RuntimeError("the EQC stand-in is not started")
        port = self._server.server_address[1]
        host = f"[{self._bind_address}]" if ":" in self._bind_address else self._bind_address
        return f"http://{host}:{port}"

    # -- lifecycle

    def start(self) -> Self:
        with self._lifecycle:
            if self._server is not None:
                raise RuntimeError("the EQC stand-in is already running")
            server_class = _Server6 if ":" in self._bind_address else _Server
            server = server_class((self._bind_address, self._port), self._state)
            thread = threading.Thread(
                target=server.serve_forever, kwargs={"poll_interval": 0.05}, name="eqc-standin", daemon=True
            )
            thread.start()
            self._server, self._thread = server, thread
        logger.info("EQC stand-in listening on %s", self.url)
        return self

    def stop(self) -> None:
        with self._lifecycle:
            server, thread = self._server, self._thread
            self._server, self._thread = None, None
        if server is None:
            return
        server.shutdown()
        server.server_close()
        if thread is not None:
            thread.join(timeout=5)
        logger.info("EQC stand-in stopped")

    def __enter__(self) -> Self:
        if self._server is None:
            self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # -- faults and inspection

    def inject(self, fault: Fault) -> None:
        """Queue ``fault``; faults are consumed first-in first-out by the requests they match."""
        self._state.inject(fault)

    def clear_faults(self) -> None:
        self._state.clear_faults()

    def pending_faults(self) -> list[Fault]:
        return self._state.pending_faults()

    def stats(self) -> StandinStats:
        return self._state.stats()

    @property
    def request_log(self) -> list[RequestRecord]:
        """A copy of the request log (the last 10,000 EQC API requests), oldest first."""
        return self._state.request_log()

    def reset_stats(self) -> None:
        """Clear the counters and the request log (the fault queue is kept)."""
        self._state.reset_stats()


def serve(fixtures_path: str | Path, *, host: str = "127.0.0.1", port: int = 8765) -> None:
    """Run the stand-in until Ctrl-C (or SIGTERM, when called from the main thread); for the command line.

    Prints one line, ``EQC stand-in listening on <url> ...``, to stdout once it accepts requests (port 0 picks a
    free port, so that line is how a caller learns it).
    """
    standin = EQCStandin(fixtures_path, host=host, port=port)
    stop = threading.Event()
    previous_handler: Any = None
    in_main_thread = threading.current_thread() is threading.main_thread()

    def _on_sigterm(signum: int, frame: FrameType | None) -> None:
        stop.set()

    if in_main_thread:
        previous_handler = signal.signal(signal.SIGTERM, _on_sigterm)
    standin.start()
    try:
        print(
            f"EQC stand-in listening on {standin.url} with {len(standin.fixtures.companies)} companies; "
            "Ctrl-C stops it",
            flush=True,
        )
        # sleep and read the flag: stop.wait() here could hold the event's lock when SIGTERM's handler calls
        # stop.set() on this same thread, which would then wait for that lock forever
        while not stop.is_set():
            time.sleep(0.2)
    except KeyboardInterrupt:
        pass
    finally:
        standin.stop()
        if in_main_thread:
            signal.signal(signal.SIGTERM, previous_handler)
