"""ASGI middleware around the whole application."""

import logging
import re
import time
import uuid
from contextvars import ContextVar
from urllib.parse import parse_qsl

from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.errors import problem_response


class HeadAsGet:
    """Answer HEAD wherever GET is answered (RFC 9110 9.3.2): same headers, no body."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "HEAD":
            await self.app(scope, receive, send)
            return

        async def send_headers_only(message: Message) -> None:
            if message["type"] == "http.response.body":
                if not message.get("more_body", False):
                    await send({"type": "http.response.body", "body": b""})
                return
            await send(message)

        await self.app({**scope, "method": "GET"}, receive, send_headers_only)


class RefuseNul:
    """Answer 422 to a path or query that carries U+0000: no resource or filter value holds
    one, PostgreSQL fails on it where SQLite just finds nothing, and a URL has no other way
    to carry it than ``%00``."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or (
            b"%00" not in scope["query_string"] and "\x00" not in scope["path"]
        ):
            await self.app(scope, receive, send)
            return
        query = parse_qsl(scope["query_string"].decode("latin-1"), keep_blank_values=True)
        names = sorted({name for name, value in query if "\x00" in name + value})
        errors = [
            {"field": name, "location": "query", "reason": "contains U+0000"} for name in names
        ]
        if "\x00" in scope["path"]:
            errors.insert(0, {"field": "path", "location": "path", "reason": "contains U+0000"})
        detail = "; ".join(f"{error['field']}: {error['reason']}" for error in errors)
        response = problem_response(
            422, "Invalid request", detail, instance=scope["path"], errors=errors
        )
        await response(scope, receive, send)


# A request id a client may choose: short, and nothing a log or header could be fooled by.
_CLIENT_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")

# JSON answers need no sources at all; HTML pages (the API docs) load Swagger UI and ReDoc
# from jsDelivr and run FastAPI's inline start-up script.
_API_POLICY = "default-src 'none'; frame-ancestors 'none'"
_PAGE_POLICY = (
    "default-src 'none'; script-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net; "
    "style-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net; "
    "img-src 'self' data: https://fastapi.tiangolo.com https://cdn.redoc.ly; "
    "font-src https://fonts.gstatic.com; connect-src 'self'; worker-src blob:; "
    "frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
)
_ALWAYS = [
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
]

request_id: ContextVar[str | None] = ContextVar("request_id", default=None)
access = logging.getLogger("app.access")


class RequestContext:
    """Every response carries a request id (``X-Request-ID``: the client's if it sent a
    plausible one, else a new one), the security headers and a content security policy;
    each request is logged once, with its id, when it is answered."""

    def __init__(self, app: ASGIApp, *, log_requests: bool = True) -> None:
        self.app = app
        self.log_requests = log_requests

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        given = Headers(scope=scope).get("x-request-id", "")
        current = given if _CLIENT_ID.fullmatch(given) else uuid.uuid4().hex
        token = request_id.set(current)
        started = time.perf_counter()
        status = 500  # if the application fails before it answers

        async def send_with_headers(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = MutableHeaders(scope=message)
                html = headers.get("content-type", "").startswith("text/html")
                headers.append("x-request-id", current)
                headers.append("content-security-policy", _PAGE_POLICY if html else _API_POLICY)
                for name, value in _ALWAYS:
                    headers.raw.append((name, value))
            await send(message)

        try:
            await self.app(scope, receive, send_with_headers)
        finally:
            if self.log_requests:
                access.info(
                    "request",
                    extra={
                        "method": scope["method"],
                        "path": scope["path"],
                        "status": status,
                        "ms": round((time.perf_counter() - started) * 1000, 2),
                    },
                )
            request_id.reset(token)
