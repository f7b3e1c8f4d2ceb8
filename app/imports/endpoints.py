from typing import Annotated

from fastapi import APIRouter, Header, Query, Request
from starlette.responses import Response

from app.auth.dependencies import WriterDep
from app.citations.formats.detect import ReferenceFormat, format_for_media_type, sniff
from app.citations.record import UnreadableFile
from app.config import SettingsDep
from app.db import SessionDep
from app.errors import ProblemError, problem_responses
from app.imports import jobs, service
from app.imports.schemas import IMPORT_REQUEST_BODY, ImportRead
from app.models import ImportJob
from app.models.base import utcnow
from app.models.enums import ImportStatus, OnError
from app.params import ResourceId
from app.responses import json_response

router = APIRouter(prefix="/v1/imports", tags=["imports"])


class PayloadTooLarge(ProblemError):
    status = 413
    title = "Payload too large"


class UnsupportedMediaType(ProblemError):
    status = 415
    title = "Unsupported media type"


class UndecodableBody(ProblemError):
    status = 422
    title = "Undecodable body"


async def _read_body(request: Request, limit: int) -> bytes:
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise PayloadTooLarge(f"the body is over the {limit}-byte limit for one import")
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise PayloadTooLarge(f"the body is over the {limit}-byte limit for one import")
        chunks.append(chunk)
    return b"".join(chunks)


def _decode(body: bytes, content_type: str) -> str:
    charset = "utf-8"
    for parameter in content_type.split(";")[1:]:
        name, _, value = parameter.strip().partition("=")
        if name.lower() == "charset" and value:
            charset = value.strip('"').lower()
    try:
        return body.decode("utf-8-sig" if charset in ("utf-8", "utf8") else charset)
    except LookupError:
        raise UnsupportedMediaType(f"unknown charset {charset!r}") from None
    except UnicodeDecodeError as error:
        raise UndecodableBody(
            f"the body is not valid {charset} (byte {error.start}); declare its charset in "
            "Content-Type"
        ) from None


def _format(declared: ReferenceFormat | None, content_type: str, text: str) -> ReferenceFormat:
    chosen = declared or format_for_media_type(content_type)
    if chosen is not None:
        return chosen
    try:
        return sniff(text)
    except UnreadableFile as error:
        raise UnsupportedMediaType(error.reason) from None


def _answer(request: Request, job: ImportJob) -> Response:
    location = {"Location": service.import_href(job.id)}
    if job.status == ImportStatus.rejected and job.report is not None:
        raise service.rejection(job)
    if job.status in (ImportStatus.queued, ImportStatus.running):
        read = service.to_read(job)
        read.processed = jobs.progress.get(job.id, job.processed)
        response = json_response(request, read, headers=location)
        response.status_code = 202
        return response
    return json_response(request, service.to_read(job), headers=location)


@router.post(
    "",
    response_model=ImportRead,
    responses={
        202: {"model": ImportRead, "description": "A large file, queued as a background job."},
        **problem_responses(401, 403, 413, 415, 422),
    },
    openapi_extra={"requestBody": IMPORT_REQUEST_BODY},
)
async def create_import(
    request: Request,
    session: SessionDep,
    actor: WriterDep,
    settings: SettingsDep,
    format: Annotated[
        ReferenceFormat | None,
        Query(description="The file's format; else taken from Content-Type, else sniffed."),
    ] = None,
    dry_run: Annotated[bool, Query(description="Report what would happen; write nothing.")] = False,
    on_error: Annotated[
        OnError,
        Query(description="`reject`: one bad record rejects the file; `skip`: import the rest."),
    ] = OnError.reject,
    resolve: Annotated[
        bool,
        Query(description="Then fill the studies' empty fields from Crossref or PubMed."),
    ] = False,
    idempotency_key: Annotated[
        str | None,
        Header(
            max_length=200, description="A retried POST with the same key returns the first result."
        ),
    ] = None,
) -> Response:
    """Import a reference file sent as the request body (RIS, BibTeX, CSL-JSON, PubMed XML,
    MEDLINE/nbib or Crossref JSON). Every record is normalised and matched: by DOI or PMID
    to update a stored study, by title and year to flag a probable duplicate. The report
    says what happened to each record. Large files answer 202 and run in the background."""
    content_type = request.headers.get("content-type", "")
    body = await _read_body(request, settings.import_max_bytes)
    text = _decode(body, content_type)
    options = service.ImportOptions(_format(format, content_type, text), dry_run, on_error, resolve)
    digest = service.request_hash(body, options)
    if idempotency_key is not None:
        replay = await service.find_replay(session, actor, idempotency_key, digest)
        if replay is not None:
            return _answer(request, replay)
    background = len(body) > settings.import_background_bytes
    job = ImportJob(
        status=(ImportStatus.queued if background else ImportStatus.running).value,
        format=options.format.value,
        dry_run=dry_run,
        on_error=on_error.value,
        resolve=resolve,
        key_id=actor.key_id,
        idempotency_key=idempotency_key,
        request_hash=digest,
        payload=text if background else None,
        processed=0,
        started_at=None if background else utcnow(),
    )
    session.add(job)
    await session.flush()
    if background:
        # The job must be committed before another session can run it.
        await session.commit()
        jobs.start(request.app.state.sessionmaker, settings, job.id, actor)
        return _answer(request, job)
    report = await service.run(session, job, text, actor, settings)
    service.finish(job, report)
    # Kept even when the import is rejected: the job and its report answer a retried POST.
    await session.commit()
    return _answer(request, job)


@router.get("/{import_id}", response_model=ImportRead, responses=problem_responses(404, 422))
async def get_import(request: Request, session: SessionDep, import_id: ResourceId) -> Response:
    """An import's status and progress and, once finished, its per-record report."""
    job = await service.get_import(session, import_id)
    read = service.to_read(job)
    read.processed = jobs.progress.get(job.id, job.processed)
    return json_response(request, read)
