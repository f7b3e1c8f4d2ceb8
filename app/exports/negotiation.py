"""Choosing an export format from `format=` or the Accept header."""

from collections.abc import AsyncIterator
from enum import StrEnum
from typing import Annotated, Any

from fastapi import Query, Request
from starlette.responses import Response, StreamingResponse

from app.exports.citations import (
    ExportFormat,
    content_type,
    filename,
    format_for_accept,
    render_citations,
    stream_citations,
)
from app.exports.fhir import FHIR_MEDIA_TYPE, accepts_fhir, fhir_json
from app.responses import etag_for
from app.studies.schemas import StudyRead


class Representation(StrEnum):
    json = "json"
    csv = "csv"
    ris = "ris"
    bibtex = "bibtex"
    csl_json = "csl_json"
    fhir = "fhir"


FormatParam = Annotated[
    Representation | None,
    Query(
        alias="format",
        description="json (default), csv, ris, bibtex, csl_json, or fhir (FHIR R5 JSON); "
        "the Accept header chooses the same way.",
    ),
]

EXPORT_MEDIA: dict[str, dict[str, object]] = {
    media: {}
    for media in (
        "text/csv",
        "application/x-research-info-systems",
        "application/x-bibtex",
        "application/vnd.citationstyles.csl+json",
        FHIR_MEDIA_TYPE,
    )
}


def chosen(request: Request, declared: Representation | None) -> Representation:
    if declared is not None:
        return declared
    accept = request.headers.get("accept")
    if accepts_fhir(accept):
        return Representation.fhir
    fmt = format_for_accept(accept)
    return Representation(fmt.value) if fmt is not None else Representation.json


def citation_format(representation: Representation) -> ExportFormat | None:
    try:
        return ExportFormat(representation.value)
    except ValueError:
        return None


def streamed(fmt: ExportFormat, studies: AsyncIterator[StudyRead], stem: str) -> Response:
    return StreamingResponse(
        stream_citations(fmt, studies),
        media_type=content_type(fmt),
        headers={"Content-Disposition": f'attachment; filename="{filename(fmt, stem)}"'},
    )


async def rendered(fmt: ExportFormat, study: StudyRead, stem: str) -> Response:
    return Response(
        await render_citations(fmt, [study]),
        media_type=content_type(fmt),
        headers={"Content-Disposition": f'attachment; filename="{filename(fmt, stem)}"'},
    )


def base_url(request: Request) -> str:
    return str(request.base_url).rstrip("/")


def fhir_response(resource: dict[str, Any]) -> Response:
    body = fhir_json(resource)
    return Response(body, media_type=FHIR_MEDIA_TYPE, headers={"ETag": etag_for(body)})
