"""Caps on what one request may take: body size, and time until the answer starts."""

import asyncio

import orjson
from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.errors import PROBLEM_JSON

IMPORTS = "/v1/imports"


class BodyTooLarge(HTTPException):
    """An HTTPException, so that FastAPI passes it on while reading a JSON body (it turns
    any other error into a 400 about parsing)."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, f"the request body is over the {limit}-byte limit")


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
        limit = self.max_import_bytes if scope["path"] == IMPORTS else self.max_body_bytes
        declared = Headers(scope=scope).get("content-length", "")
        if declared.isdigit() and int(declared) > limit:
            await _problem(send, 413, "Payload too large", BodyTooLarge(limit).detail, scope)
            return
        received = 0

        async def receive_within_limit() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
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


async def _problem(
    send: Send, status: int, title: str, detail: str, scope: Scope, *, retry_after: bool = False
) -> None:
    body = orjson.dumps(
        {"type": "about:blank", "title": title, "status": status, "detail": detail,
         "instance": scope["path"]}
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
