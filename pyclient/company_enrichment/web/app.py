"""The web console: server-rendered pages (Jinja2, a touch of htmx) over the SQL API, through :mod:`..db` only.

Who may do what is PostgreSQL's decision: the pages ask the database whether the connected role may execute a
function (to hide buttons it would refuse), and a refused call (42501) becomes a 403 page. Every form carries a
CSRF token: an HMAC of a random per-browser cookie (double submit, signed with a per-process secret).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, Final

from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.middleware import Middleware
from starlette.middleware.base import BaseHTTPMiddleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from ..db import EnrichmentDB
from ..errors import DatabaseError, LookupRequestNotFoundError, PermissionDeniedError, ReviewDecidedError
from ..models import CompanyRecord

__all__ = ["LOOKUP_KINDS", "create_app"]

HERE: Final = Path(__file__).parent
CSRF_COOKIE: Final = "ce_csrf"
CSRF_FIELD: Final = "csrf_token"
CSRF_HEADER: Final = "x-csrf-token"
PAGE_SIZE: Final = 20

#: What the look-up page accepts, as CompanyRecord fields, with their labels.
LOOKUP_KINDS: Final[dict[str, str]] = {
    "customer_name": "customer name",
    "plan_code": "plan code",
    "account_number": "account number",
    "account_name": "account name",
}
NAME_KINDS: Final = frozenset({"customer_name", "account_name"})

ACCEPT: Final = "enterprise.accept_lookup_candidate(bigint, text, boolean)"
REJECT: Final = "enterprise.reject_lookup(bigint)"
REQUEUE: Final = "enterprise.requeue_failed(interval)"

Endpoint = Callable[[Request], Awaitable[Response]]


def create_app(db: EnrichmentDB, *, secret: bytes | None = None, page_size: int = PAGE_SIZE) -> Starlette:
    """The console's ASGI application over an open :class:`EnrichmentDB` (the caller closes it)."""
    key = secret or secrets.token_bytes(32)
    templates = Environment(
        loader=FileSystemLoader(HERE / "templates"),
        autoescape=select_autoescape(default=True, default_for_string=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )

    def token_for(nonce: str) -> str:
        return hmac.new(key, nonce.encode(), hashlib.sha256).hexdigest()

    def render(request: Request, name: str, status_code: int = 200, **context: Any) -> HTMLResponse:
        context.setdefault("page", name.removesuffix(".html"))
        html = templates.get_template(name).render(
            request=request, csrf_token=token_for(request.state.nonce), **context
        )
        return HTMLResponse(html, status_code=status_code)

    def database_error(
        request: Request, exc: DatabaseError, *, fragment: str | None = None, **context: Any
    ) -> Response:
        """403 for a privilege PostgreSQL refused, 409 for a decision that lost a race, 400 for the rest."""
        status = 403 if isinstance(exc, PermissionDeniedError) else 400
        if isinstance(exc, ReviewDecidedError | LookupRequestNotFoundError):
            status = 409
        if fragment and request.headers.get("hx-request") and status != 403:
            return render(request, fragment, status_code=status, error=exc, **context)
        return render(request, "error.html", status_code=status, error=exc)

    async def csrf_ok(request: Request) -> bool:
        nonce = request.cookies.get(CSRF_COOKIE)
        if not nonce:
            return False
        form = await request.form()
        sent = request.headers.get(CSRF_HEADER) or form.get(CSRF_FIELD)
        return isinstance(sent, str) and hmac.compare_digest(sent, token_for(nonce))

    def csrf_refused(request: Request) -> Response:
        error = DatabaseError(
            "the form's CSRF token is missing or wrong",
            sqlstate=None,
            hint="Reload the page and try again; forms are only accepted from this console.",
        )
        return render(request, "error.html", status_code=403, error=error)

    # ------------------------------------------------------------------------------------------- review

    async def review(request: Request) -> Response:
        q = request.query_params.get("q", "").strip()
        after_text = request.query_params.get("after", "")
        after = int(after_text) if after_text.isdigit() else None

        def load() -> tuple[list[Any], bool]:
            rows = db.review_requests(name_contains=q or None, after=after, max_rows=page_size + 1)
            may_decide = db.may_execute(ACCEPT) and db.may_execute(REJECT)
            return rows, may_decide

        try:
            rows, may_decide = await run_in_threadpool(load)
        except DatabaseError as exc:
            return database_error(request, exc)
        more = len(rows) > page_size
        rows = rows[:page_size]
        context: dict[str, Any] = {
            "items": rows,
            "q": q,
            "may_decide": may_decide,
            "next_after": rows[-1].request_id if more and rows else None,
        }
        if after is not None and request.headers.get("hx-request"):
            return render(request, "review_rows.html", **context)
        return render(request, "review.html", **context)

    def decision(accept: bool) -> Endpoint:
        async def decide(request: Request) -> Response:
            if not await csrf_ok(request):
                return csrf_refused(request)
            request_id = int(request.path_params["request_id"])
            form = await request.form()
            company_id = str(form.get("company_id", ""))
            try:
                if accept:
                    await run_in_threadpool(db.accept_lookup_candidate, request_id, company_id)
                else:
                    await run_in_threadpool(db.reject_lookup, request_id)
            except DatabaseError as exc:
                return database_error(request, exc, fragment="review_error.html", request_id=request_id)
            if request.headers.get("hx-request"):
                return HTMLResponse("")  # the row leaves the list
            return RedirectResponse("/review", status_code=303)

        return decide

    # ------------------------------------------------------------------------------------------- look up

    async def lookup(request: Request) -> Response:
        kind = request.query_params.get("kind", "customer_name")
        if kind not in LOOKUP_KINDS:
            kind = "customer_name"
        value = request.query_params.get("value", "")
        context: dict[str, Any] = {"kinds": LOOKUP_KINDS, "kind": kind, "value": value, "result": None}
        if value.strip():

            def load() -> dict[str, Any]:
                result = db.preview_company_ids([CompanyRecord.model_validate({kind: value})])[0]
                key = db.normalize_names([value])[0] if kind in NAME_KINDS else value.strip()
                profile = None
                if result.company_id and not result.company_id.startswith("TEMP"):
                    profiles = db.company_profiles([result.company_id])
                    profile = profiles[0] if profiles else None
                mappings = db.search_mappings(normalized_key=key) if key else []
                return {"result": result, "key": key, "profile": profile, "mappings": mappings}

            try:
                context.update(await run_in_threadpool(load))
            except DatabaseError as exc:
                return database_error(request, exc)
        return render(request, "lookup.html", **context)

    # ------------------------------------------------------------------------------------------- queue

    async def queue(request: Request) -> Response:
        def load() -> dict[str, Any]:
            return {
                "stats": db.queue_stats(),
                "failed": db.failed_lookups(max_rows=100),
                "may_requeue": db.may_execute(REQUEUE),
            }

        try:
            context = await run_in_threadpool(load)
        except DatabaseError as exc:
            return database_error(request, exc)
        name = "queue_stats.html" if request.url.path.endswith("/stats") else "queue.html"
        return render(request, name, **context)

    async def requeue(request: Request) -> Response:
        if not await csrf_ok(request):
            return csrf_refused(request)
        try:
            count = await run_in_threadpool(db.requeue_failed)
        except DatabaseError as exc:
            return database_error(request, exc)
        return RedirectResponse(f"/queue?requeued={count}", status_code=303)

    # ------------------------------------------------------------------------------------------- mappings

    async def mappings(request: Request) -> Response:
        alias = request.query_params.get("alias", "").strip()
        company_id = request.query_params.get("company_id", "").strip()
        rows: list[Any] = []
        if alias or company_id:
            try:
                rows = await run_in_threadpool(
                    lambda: db.search_mappings(alias_contains=alias or None, company_id=company_id or None)
                )
            except DatabaseError as exc:
                return database_error(request, exc)
        return render(
            request, "mappings.html", alias=alias, company_id=company_id, rows=rows, searched=bool(alias or company_id)
        )

    async def home(request: Request) -> Response:
        return RedirectResponse("/review", status_code=303)

    async def csrf_cookie(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        nonce = request.cookies.get(CSRF_COOKIE)
        fresh = not nonce
        request.state.nonce = nonce or secrets.token_urlsafe(32)
        response = await call_next(request)
        if fresh:
            response.set_cookie(CSRF_COOKIE, request.state.nonce, httponly=True, samesite="strict")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        return response

    app = Starlette(
        routes=[
            Route("/", home),
            Route("/review", review),
            Route("/review/{request_id:int}/accept", decision(accept=True), methods=["POST"]),
            Route("/review/{request_id:int}/reject", decision(accept=False), methods=["POST"]),
            Route("/lookup", lookup),
            Route("/queue", queue),
            Route("/queue/stats", queue),
            Route("/queue/requeue", requeue, methods=["POST"]),
            Route("/mappings", mappings),
            Mount("/static", StaticFiles(directory=HERE / "static"), name="static"),
        ],
        middleware=[Middleware(BaseHTTPMiddleware, dispatch=csrf_cookie)],
    )

    return app
