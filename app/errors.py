"""Domain errors, and the one place that turns every error into RFC 9457 problem+json."""

import logging
from typing import Any

import orjson
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, Field
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response
from starlette.routing import compile_path

PROBLEM_JSON = "application/problem+json"

logger = logging.getLogger(__name__)


class ProblemError(Exception):
    """An error a client can act on; subclasses say what kind."""

    status = 400
    title = "Bad request"

    def __init__(
        self,
        detail: str,
        *,
        errors: list[dict[str, Any]] | None = None,
        headers: dict[str, str] | None = None,
        extra: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(detail)
        self.detail = detail
        self.errors = errors
        self.headers = headers or {}
        # RFC 9457 extension members, e.g. an import's report.
        self.extra = extra or {}


class ResourceNotFound(ProblemError):
    status = 404
    title = "Not found"


class InvalidParameter(ProblemError):
    """A query parameter that parsed but names nothing valid (unknown slug, bad cursor)."""

    status = 422
    title = "Invalid parameter"

    def __init__(self, field: str, reason: str, *, location: str = "query") -> None:
        super().__init__(
            f"{field}: {reason}", errors=[{"field": field, "location": location, "reason": reason}]
        )


def problem_response(
    status: int,
    title: str,
    detail: str | None,
    *,
    instance: str | None = None,
    errors: list[dict[str, Any]] | None = None,
    headers: dict[str, str] | None = None,
    extra: dict[str, Any] | None = None,
) -> Response:
    body: dict[str, Any] = {"type": "about:blank", "title": title, "status": status}
    if detail:
        body["detail"] = detail
    if instance:
        body["instance"] = instance
    if errors is not None:
        body["errors"] = errors
    body.update(extra or {})
    return Response(problem_body(body), status, headers=headers, media_type=PROBLEM_JSON)


def problem_body(body: dict[str, Any]) -> bytes:
    """The JSON of a problem, with <, > and & escaped: a problem may quote what the client
    sent, and must not carry markup to anything that renders it as HTML."""
    encoded = orjson.dumps(body)
    if b"<" in encoded or b">" in encoded or b"&" in encoded:
        encoded = (
            encoded.replace(b"&", b"\\u0026").replace(b"<", b"\\u003c").replace(b">", b"\\u003e")
        )
    return encoded


def _field_errors(exc: RequestValidationError) -> list[dict[str, Any]]:
    fields = []
    for error in exc.errors():
        location, *path = error["loc"] or ("body",)
        fields.append(
            {
                "field": ".".join(str(part) for part in path) or str(location),
                "location": str(location),
                "reason": error["msg"],
            }
        )
    return fields


async def _on_problem(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ProblemError)
    return problem_response(
        exc.status,
        exc.title,
        exc.detail,
        instance=request.url.path,
        errors=exc.errors,
        headers=exc.headers,
        extra=exc.extra,
    )


async def _on_validation(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    errors = _field_errors(exc)
    detail = "; ".join(f"{error['field']}: {error['reason']}" for error in errors)
    return problem_response(
        422, "Invalid request", detail, instance=request.url.path, errors=errors
    )


async def _on_http(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    if exc.status_code == 400 and isinstance(exc.__cause__, ValueError | RecursionError):
        # FastAPI answers a JSON body it cannot even decode (not UTF-8, nested past Python's
        # limit) with a bare 400; like JSON that does not parse, it is an invalid request.
        reason = "the body is not readable JSON"
        return problem_response(
            422,
            "Invalid request",
            f"body: {reason}",
            instance=request.url.path,
            errors=[{"field": "body", "location": "body", "reason": reason}],
        )
    titles = {404: "Not found", 405: "Method not allowed", 413: "Payload too large"}
    title = titles.get(exc.status_code, "Invalid request" if exc.status_code == 422 else "Error")
    detail = exc.detail if isinstance(exc.detail, str) else None
    headers = dict(exc.headers or {})
    if exc.status_code == 404 and detail == "Not Found":
        detail = f"no route matches {request.url.path}"
    if exc.status_code == 405:
        headers["Allow"] = _allowed_methods(request) or headers.get("Allow", "")
    return problem_response(
        exc.status_code, title, detail, instance=request.url.path, headers=headers
    )


class DatabaseUnavailable(ProblemError):
    status = 503
    title = "Service unavailable"

    def __init__(self) -> None:
        super().__init__(
            "the database is not answering; try again shortly", headers={"Retry-After": "5"}
        )


def lost_connection(exc: Exception) -> bool:
    """A connection refused, reset or closed mid-query: the database is away, the request
    was fine. Anything else the driver raises is this service's bug."""
    if isinstance(exc, DBAPIError):
        return exc.connection_invalidated or isinstance(exc, OperationalError | InterfaceError)
    return isinstance(exc, ConnectionError | TimeoutError)


async def _on_database_error(request: Request, exc: Exception) -> Response:
    if lost_connection(exc):
        return await _on_problem(request, DatabaseUnavailable())
    return await _on_unexpected(request, exc)


def _allowed_methods(request: Request) -> str:
    """Every method the document lists for the path (Starlette's 405 names only those of the
    first route that matched), and HEAD wherever GET is answered."""
    methods: set[str] = set()
    for template, operations in request.app.openapi()["paths"].items():
        if compile_path(template)[0].match(request.url.path):
            methods.update(method.upper() for method in operations)
    if "GET" in methods:
        methods.add("HEAD")
    return ", ".join(sorted(methods))


async def _on_unexpected(request: Request, exc: Exception) -> Response:
    # Never leak a stack trace or SQL; the log has the details.
    logger.exception("unhandled error on %s %s", request.method, request.url.path)
    return problem_response(
        500, "Internal error", "the server failed to answer", instance=request.url.path
    )


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(ProblemError, _on_problem)
    # Handled here rather than by Starlette's last-resort handler, which re-raises into the
    # server's log as an unhandled crash.
    app.add_exception_handler(DBAPIError, _on_database_error)
    app.add_exception_handler(ConnectionError, _on_database_error)
    app.add_exception_handler(TimeoutError, _on_database_error)
    app.add_exception_handler(Exception, _on_unexpected)
    app.add_exception_handler(RequestValidationError, _on_validation)
    app.add_exception_handler(StarletteHTTPException, _on_http)


class FieldError(BaseModel):
    field: str
    location: str = Field(description="query, path, header or body")
    reason: str


class ProblemDetail(BaseModel):
    """RFC 9457 problem details, as every error of this API is shaped."""

    type: str = "about:blank"
    title: str
    status: int
    detail: str | None = None
    instance: str | None = None
    errors: list[FieldError] | None = Field(
        default=None, description="For validation errors: each field and what is wrong with it."
    )


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI entries for the error statuses an operation can answer. An operation that
    needs a key (401) is also rate-limited (429) and takes a body with a size cap (413)."""
    if 401 in statuses:
        statuses = (*statuses, 413, 429)
    # `model` registers the schema (FastAPI files it under application/json); the body is
    # sent as problem+json, so that is where a client or a fuzzer must find it.
    content = {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/ProblemDetail"}}}
    return {status: {"model": ProblemDetail, "content": content} for status in statuses}
