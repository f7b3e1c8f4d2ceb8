"""Caps on what one request may take (body size, time until the answer starts) and the
query strings no parameter could hold (invalid UTF-8, NUL)."""

import asyncio
from urllib.parse import unquote_to_bytes

from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.errors import PROBLEM_JSON, problem_body

IMPORTS = "/v1/imports"


class BodyTooLarge(HTTPException):
    """An HTTPException, so that FastAPI passes it on while reading a JSON body (it turns
    any other error into a 400 about parsing)."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, f"the request body is over the {limit}-byte limit")


class NotUtf8Json(HTTPException):
    def __init__(self) -> None:
        super().__init__(422, "a JSON body must be UTF-8 (RFC 8259), with no byte-order mark")


# Python's json would read UTF-16 and UTF-32 by their first bytes; the RFC does not allow them.
_OTHER_ENCODINGS = (b"\xff\xfe", b"\xfe\xff", b"\xef\xbb\xbf")


def _not_utf8(first: bytes) -> bool:
    return first.startswith(_OTHER_ENCODINGS) or b"\x00" in first[:4]


class RequestLimits:
    """A body over the cap answers 413 as soon as its declared length or its bytes so far
    exceed it, before the application holds it all. An answer that has not started within
    the time limit is abandoned (its work cancelled, its transaction rolled back) and 503
    is sent instead. Streamed answers (exports) are not limited once they have started."""

    def __init__(
        self, app: ASGIApp, *, max_body_bytes: int, max_import_bytes: int, timeout_seconds: float
    ) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes
        self.max_import_bytes = max_import_bytes
        self.timeout_seconds = timeout_seconds

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if "\x00" in scope["path"]:  # no resource has one; PostgreSQL could not compare it
            reason = "contains a NUL character (%00)"
            await _problem(
                send, 422, "Invalid request", f"path: {reason}", scope,
                errors=[{"field": "path", "location": "path", "reason": reason}],
            )  # fmt: skip
            return
        unreadable = _unreadable_parameter(scope["query_string"])
        if unreadable is not None:
            name, reason = unreadable
            await _problem(
                send, 422, "Invalid request", f"{name}: {reason}", scope,
                errors=[{"field": name, "location": "query", "reason": reason}],
            )  # fmt: skip
            return
        limit = self.max_import_bytes if scope["path"] == IMPORTS else self.max_body_bytes
        headers = Headers(scope=scope)
        declared = headers.get("content-length", "")
        if declared.isdigit() and int(declared) > limit:
            await _problem(send, 413, "Payload too large", BodyTooLarge(limit).detail, scope)
            return
        received = 0
        json = headers.get("content-type", "").startswith("application/json")

        async def receive_within_limit() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                chunk = message.get("body", b"")
                if json and received == 0 and _not_utf8(chunk):
                    raise NotUtf8Json()
                received += len(chunk)
                if received > limit:
                    raise BodyTooLarge(limit)
            return message

        started = False

        async def send_and_note(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                deadline.reschedule(None)
            await send(message)

        try:
            async with asyncio.timeout(self.timeout_seconds) as deadline:
                await self.app(scope, receive_within_limit, send_and_note)
        except TimeoutError:
            if started:
                raise
            detail = f"the answer took longer than {self.timeout_seconds:g} s; try again later"
            await _problem(send, 503, "Service unavailable", detail, scope, retry_after=True)


def _unreadable_parameter(query: bytes) -> tuple[str, str] | None:
    """The first query parameter that is not UTF-8 text once percent-decoded, or holds a NUL
    (which PostgreSQL cannot compare with anything): its name and why. Starlette would put
    U+FFFD in place of the bad bytes and answer about something the client never asked."""
    if b"%" not in query and query.isascii():
        return None  # the common case; a raw NUL cannot arrive in an HTTP request line
    for piece in query.split(b"&"):
        raw_name, _, raw_value = piece.partition(b"=")
        name = _decoded(raw_name).decode("utf-8", "replace").replace("\x00", "?")
        for part in (raw_name, raw_value):
            try:
                text = _decoded(part).decode("utf-8")
            except UnicodeDecodeError:
                return name, "is not valid UTF-8 once percent-decoded"
            if "\x00" in text:
                return name, "contains a NUL character (%00)"
    return None


def _decoded(part: bytes) -> bytes:
    return unquote_to_bytes(part.replace(b"+", b" "))


async def _problem(
    send: Send,
    status: int,
    title: str,
    detail: str,
    scope: Scope,
    *,
    retry_after: bool = False,
    errors: list[dict[str, str]] | None = None,
) -> None:
    body = problem_body(
        {"type": "about:blank", "title": title, "status": status, "detail": detail,
         "instance": scope["path"], **({"errors": errors} if errors else {})}
    )  # fmt: skip
    headers = [
        (b"content-type", PROBLEM_JSON.encode()),
        (b"content-length", str(len(body)).encode()),
    ]
    if retry_after:
        headers.append((b"retry-after", b"5"))
    else:  # the unread rest of the body must not be taken for the next request
        headers.append((b"connection", b"close"))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
