from typing import Annotated

from fastapi import APIRouter, Header, Query, Request
from starlette.responses import Response

from app.auth.dependencies import Forbidden, WriterDep
from app.citations.formats.detect import ReferenceFormat, format_for_media_type, sniff
from app.citations.record import UnreadableFile
from app.config import SettingsDep
from app.db import SessionDep
from app.editing import Conflict
from app.errors import ProblemError, problem_responses
from app.imports import jobs, service
from app.imports.schemas import IMPORT_REQUEST_BODY, ImportRead
from app.metrics.instruments import Metrics
from app.models import ImportJob
from app.models.base import utcnow
from app.models.enums import ImportStatus, KeyScope, OnError
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
        text = body.decode("utf-8-sig" if charset in ("utf-8", "utf8") else charset)
    except LookupError:
        raise UnsupportedMediaType(f"unknown charset {charset!r}") from None
    except UnicodeDecodeError as error:
        raise UndecodableBody(
            f"the body is not valid {charset} (byte {error.start}); declare its charset in "
            "Content-Type"
        ) from None
    if (nul := text.find("\x00")) >= 0:  # no reference format has one; PostgreSQL refuses it
        raise UndecodableBody(f"the body holds a NUL character (character {nul})")
    return text


def _format(declared: ReferenceFormat | None, content_type: str, text: str) -> ReferenceFormat:
    chosen = declared or format_for_media_type(content_type)
    if chosen is not None:
        return chosen
    try:
        return sniff(text)
    except UnreadableFile as error:
        raise UnsupportedMediaType(error.reason) from None


async def _settle(request: Request, session: SessionDep, job: ImportJob) -> None:
    """Show as failed a job whose runner died."""
    if job.status in jobs.UNFINISHED and job.id not in jobs.progress:
        if await jobs.settle(request.app.state.engine, job.id):
            await session.commit()  # ends a read snapshot taken before the change
            await session.refresh(job)


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
    metrics: Metrics = request.app.state.metrics
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
        jobs.start(request.app.state.sessionmaker, settings, job.id, actor, metrics)
        return _answer(request, job)
    try:
        report = await service.run(session, job, text, actor, settings)
        service.finish(job, report)
        # Kept even when the import is rejected: the job and its report answer a retried POST.
        await session.commit()
    except Exception as error:
        metrics.count_import(service.outcome_of(error))
        raise
    metrics.count_import(ImportStatus(job.status), report.counts)
    return _answer(request, job)


@router.get("/{import_id}", response_model=ImportRead, responses=problem_responses(404, 422))
async def get_import(request: Request, session: SessionDep, import_id: ResourceId) -> Response:
    """An import's status and progress and, once finished, its per-record report. A job
    whose runner died (a crash or a restart) is shown as failed, and can be retried."""
    job = await service.get_import(session, import_id)
    await _settle(request, session, job)
    read = service.to_read(job)
    read.processed = jobs.progress.get(job.id, job.processed)
    return json_response(request, read)


@router.post(
    "/{import_id}/retry",
    response_model=ImportRead,
    status_code=202,
    responses=problem_responses(401, 403, 404, 409, 422),
)
async def retry_import(
    request: Request,
    session: SessionDep,
    actor: WriterDep,
    settings: SettingsDep,
    import_id: ResourceId,
) -> Response:
    """Run again, in the background, an import that failed on the server (interrupted by a
    crash or a restart, or a fault of the database). Its file was kept and nothing of the
    failed run was written. Only the key that started it, or an admin key, may retry it."""
    job = await service.get_import(session, import_id)
    if job.key_id != actor.key_id and not actor.allows(KeyScope.admin):
        raise Forbidden("only the key that started this import, or an admin key, may retry it")
    await _settle(request, session, job)
    if job.status != ImportStatus.failed or job.payload is None:
        raise Conflict(f"only a failed import can be retried; this one is {job.status}")
    job.status = ImportStatus.queued.value
    job.error = None
    job.processed = 0
    job.started_at = job.finished_at = None
    await session.commit()
    jobs.start(request.app.state.sessionmaker, settings, job.id, actor, request.app.state.metrics)
    return _answer(request, job)
