"""JSON responses with an ETag, answering a matching If-None-Match with 304."""

import hashlib
from typing import Any

import orjson
import pydantic_core
from fastapi import Request
from pydantic import BaseModel
from starlette.responses import Response

JSON = "application/json"


def etag_for(body: bytes) -> str:
    # SHA-256 runs in hardware here: 60 µs for a 110 kB page of studies, BLAKE2b 160 µs.
    return '"' + hashlib.sha256(body).hexdigest()[:32] + '"'


def etag_matches(header: str, etag: str) -> bool:
    """Whether an If-None-Match or If-Match header names this ETag (or is ``*``)."""
    if header.strip() == "*":
        return True
    # Our ETags are strong; a W/ prefix a client or proxy added does not make them differ.
    candidates = (tag.strip().removeprefix("W/") for tag in header.split(","))
    return etag in candidates


def json_response(
    request: Request,
    payload: BaseModel | dict[str, Any] | list[Any],
    *,
    headers: dict[str, str] | None = None,
) -> Response:
    """Serialise once, hash the bytes for the ETag, and skip the body if the client has it."""
    body = (
        pydantic_core.to_json(payload)
        if isinstance(payload, BaseModel)
        # UTC as "Z", as pydantic writes it: the same resource serialises the same either way.
        else orjson.dumps(payload, option=orjson.OPT_SERIALIZE_NUMPY | orjson.OPT_UTC_Z)
    )
    etag = etag_for(body)
    all_headers = {"ETag": etag, **(headers or {})}
    if_none_match = request.headers.get("if-none-match")
    if if_none_match and etag_matches(if_none_match, etag):
        return Response(status_code=304, headers=all_headers)
    return Response(body, headers=all_headers, media_type=JSON)


def created_response(request: Request, payload: BaseModel, location: str) -> Response:
    """201 with the new resource, its Location and its ETag (ready for a later If-Match)."""
    body = pydantic_core.to_json(payload)
    headers = {"ETag": etag_for(body), "Location": location}
    return Response(body, status_code=201, headers=headers, media_type=JSON)
