"""ASGI middleware around the whole application."""

import logging
import re
import time
import uuid
from contextvars import ContextVar

from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.metrics.instruments import Metrics


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

        routed = {**scope, "method": "GET"}
        try:
            await self.app(routed, receive, send_headers_only)
        finally:
            # What the router matched, for RequestContext's per-route metrics outside.
            for key in ("route", "endpoint"):
                if key in routed:
                    scope[key] = routed[key]


# A request id a client may choose: short, and nothing a log or header could be fooled by.
_CLIENT_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")

# JSON answers need no sources at all. HTML pages (the evidence browser and the API docs) load
# scripts, styles and fonts from this server only and run no inline code; images may be data:
# URIs (Swagger UI's icons) and ReDoc builds its search worker from a blob.
_API_POLICY = "default-src 'none'; frame-ancestors 'none'"
_PAGE_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; worker-src blob:; "
    "frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
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
    each request is logged once, with its id, and counted in the metrics when it is
    answered."""

    def __init__(
        self, app: ASGIApp, *, log_requests: bool = True, metrics: Metrics | None = None
    ) -> None:
        self.app = app
        self.log_requests = log_requests
        self.metrics = metrics

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
            seconds = time.perf_counter() - started
            if self.metrics is not None:
                self.metrics.observe_request(scope, status, seconds)
            if self.log_requests:
                access.info(
                    "request",
                    extra={
                        "method": scope["method"],
                        "path": scope["path"],
                        "status": status,
                        "ms": round(seconds * 1000, 2),
                    },
                )
            request_id.reset(token)
