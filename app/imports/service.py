"""Importing a reference file: read, normalise, match and store every record, and report.

The same normalise-and-validate path as the seed and the write API. By default an import is
all-or-nothing: one rejected record rejects the file and nothing is written. A dry run
reports what would happen and writes nothing but the import's own record.
"""

import hashlib
from collections import Counter
from collections.abc import Awaitable, Callable, Iterable, Iterator
from dataclasses import dataclass
from itertools import islice
from typing import Any

from sqlalchemy import insert, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.keys import Actor
from app.changes import Change
from app.citations.enrich import EnrichClient, describe, enrich_studies
from app.citations.formats._common import ReferenceText
from app.citations.formats.detect import ReferenceFormat, read_references
from app.citations.normalize import InvalidCitation, normalize
from app.citations.record import Citation, RawCitation, UnreadableFile, UnreadableRecord
from app.citations.store import CitationStore, StoreResult, StoreStatus
from app.config import Settings
from app.errors import ProblemError, ResourceNotFound
from app.history.service import created, jsonable_changes
from app.imports.schemas import (
    FieldConflict,
    ImportCounts,
    ImportLinks,
    ImportRead,
    ImportReport,
    RecordReport,
    RecordStatus,
)
from app.links import API, study_href
from app.models import AuditEntry, ImportJob
from app.models.base import table_of, utcnow
from app.models.enums import AuditAction, ImportStatus, OnError
from app.studies.schemas import DataQualityWarningRead

Progress = Callable[[int], Awaitable[None]]


class UnreadableImport(ProblemError):
    status = 422
    title = "Unreadable file"


class ImportRejected(ProblemError):
    status = 422
    title = "Import rejected"


class IdempotencyMismatch(ProblemError):
    status = 422
    title = "Idempotency-Key reused"


@dataclass(frozen=True, slots=True)
class ImportOptions:
    format: ReferenceFormat
    dry_run: bool = False
    on_error: OnError = OnError.reject
    resolve: bool = False


def request_hash(body: bytes | Iterable[bytes], options: ImportOptions) -> str:
    """What identifies a request: its bytes (whole, or as read in pieces) and options."""
    digest = hashlib.sha256()
    for piece in [body] if isinstance(body, bytes) else body:
        digest.update(piece)
    flags = f"|{options.format}|{options.dry_run}|{options.on_error}|{options.resolve}"
    digest.update(flags.encode())
    return digest.hexdigest()


def import_href(job_id: int) -> str:
    return f"{API}/imports/{job_id}"


def to_read(job: ImportJob) -> ImportRead:
    return ImportRead(
        id=job.id,
        status=job.status,
        format=job.format,
        dry_run=job.dry_run,
        on_error=job.on_error,
        resolve=job.resolve,
        processed=job.processed,
        total=job.total,
        error=job.error,
        created_at=job.created_at,
        started_at=job.started_at,
        finished_at=job.finished_at,
        report=ImportReport.model_validate(job.report) if job.report else None,
        links=ImportLinks(self=import_href(job.id), studies=f"{API}/studies?import_id={job.id}"),
    )


def _conflicts(conflicts: dict[str, Change]) -> list[FieldConflict]:
    return [
        FieldConflict(field=name, stored=stored, incoming=incoming)
        for name, (stored, incoming) in conflicts.items()
    ]


def _rejected(index: int, line: int | None, field: str | None, reason: str) -> RecordReport:
    return RecordReport(
        index=index,
        line=line,
        status=RecordStatus.rejected,
        study_id=None,
        href=None,
        field=field,
        reason=reason,
    )


class _Run:
    """One pass over a file's records, in batches."""

    def __init__(
        self, session: AsyncSession, job: ImportJob, actor: Actor, settings: Settings
    ) -> None:
        self.session = session
        self.job = job
        self.actor = actor
        self.settings = settings
        self.store = CitationStore(session, import_id=None if job.dry_run else job.id)
        self.first_index: dict[int, int] = {}  # study id -> index of the record creating it
        self.records: list[RecordReport] = []
        self._pending: list[RecordReport] = []  # this batch's reports
        self.counts: Counter[str] = Counter()

    def _normalised(
        self, batch: Iterable[RawCitation | UnreadableRecord]
    ) -> Iterator[tuple[RawCitation, Citation]]:
        for raw in batch:
            if isinstance(raw, UnreadableRecord):
                self._pending.append(_rejected(raw.index, raw.line, raw.field, raw.reason))
                continue
            try:
                citation = normalize(raw, max_page_span=self.settings.max_plausible_page_span)
            except InvalidCitation as error:
                self._pending.append(_rejected(raw.index, raw.line, error.field, error.reason))
                continue
            yield raw, citation

    async def batch(self, batch: tuple[RawCitation | UnreadableRecord, ...]) -> None:
        readable = list(self._normalised(batch))
        await self.store.prefetch(citation for _, citation in readable)
        staged = [(raw, citation, self.store.store(citation)) for raw, citation in readable]
        await self.store.flush()
        audit = []
        for raw, citation, result in staged:
            self._pending.append(self._report(raw, citation, result))
            if result.status is StoreStatus.created:
                self.first_index[result.study.id] = raw.index
                audit.append(self._audit(result, AuditAction.create, created(_fields(result))))
            elif result.status is StoreStatus.updated:
                audit.append(self._audit(result, AuditAction.update, result.changes))
        if audit and not self.job.dry_run:
            await self.session.execute(insert(table_of(AuditEntry)), audit)
        # Rejections were noted while reading: restore file order.
        for record in sorted(self._pending, key=lambda record: record.index):
            self.records.append(record)
            self.counts[record.status.value] += 1
        self._pending.clear()

    def _audit(
        self, result: StoreResult, action: AuditAction, changes: dict[str, Change]
    ) -> dict[str, Any]:
        return {
            "resource": "studies",
            "resource_id": result.study.id,
            "resource_key": str(result.study.id),
            "action": action.value,
            "key_id": self.actor.key_id,
            "actor": self.actor.name,
            "at": utcnow(),
            "changes": jsonable_changes(changes),
        }

    def _report(self, raw: RawCitation, citation: Citation, result: StoreResult) -> RecordReport:
        study = result.study
        record = RecordReport(
            index=raw.index,
            line=raw.line,
            status=RecordStatus(result.status.value),
            study_id=study.id,
            href=study_href(study.id),
            title=citation.title,
            updated_fields=sorted(result.changes),
            conflicts=_conflicts(result.conflicts),
            warnings=[DataQualityWarningRead(**w.as_dict()) for w in citation.warnings],
        )
        if result.status is StoreStatus.duplicate:
            if result.repeat:
                record.duplicate_of = self.first_index.get(study.id)
                record.reason = f"repeats record {record.duplicate_of} of this file"
            else:
                record.reason = (
                    f"probably the same work as study {study.id}: same title and year, "
                    "no shared DOI or PMID"
                )
        return record

    def report(self) -> ImportReport:
        return ImportReport(
            format=self.job.format,
            dry_run=self.job.dry_run,
            on_error=self.job.on_error,
            counts=ImportCounts(**self.counts),
            records=self.records,
        )


def _batched(items: Iterable[Any], size: int) -> Iterator[tuple[Any, ...]]:
    # itertools.batched arrives with Python 3.12.
    iterator = iter(items)
    while batch := tuple(islice(iterator, size)):
        yield batch


def _fields(result: StoreResult) -> dict[str, Any]:
    study = result.study
    names = ("doi", "pmid", "pmcid", "title", "journal", "year", "volume", "issue", "pages")
    return {name: getattr(study, name) for name in names if getattr(study, name) is not None}


async def _serialise_imports(session: AsyncSession) -> None:
    """Two imports of the same file at once must not both create its studies."""
    if session.get_bind().dialect.name == "postgresql":
        await session.execute(
            text("SELECT pg_advisory_xact_lock(hashtext('hair-evidence-import'))")
        )


async def run(
    session: AsyncSession,
    job: ImportJob,
    body: ReferenceText,
    actor: Actor,
    settings: Settings,
    progress: Progress | None = None,
) -> ImportReport:
    """Process the file inside a savepoint that a dry run or a rejection rolls back."""
    await _serialise_imports(session)
    savepoint = await session.begin_nested()
    current = _Run(session, job, actor, settings)
    try:
        records = read_references(body, ReferenceFormat(job.format))
        for batch in _batched(records, settings.import_batch_size):
            await current.batch(batch)
            if progress is not None:
                await progress(len(current.records))
    except UnreadableFile as error:
        await savepoint.rollback()
        where = f" (line {error.line})" if error.line else ""
        raise UnreadableImport(
            f"the file cannot be read as {job.format}: {error.reason}{where}"
        ) from None
    except BaseException:
        await savepoint.rollback()
        raise
    report = current.report()
    if not report.records:
        await savepoint.rollback()
        raise UnreadableImport("the file holds no records")
    if job.dry_run or (report.counts.rejected and job.on_error == OnError.reject):
        await savepoint.rollback()
        return report
    await savepoint.commit()
    if job.resolve:
        report.resolved = await _resolve(session, report, actor, settings)
    return report


async def _resolve(
    session: AsyncSession, report: ImportReport, actor: Actor, settings: Settings
) -> list[str]:
    """Fill what the file left empty from Crossref or PubMed, for the studies it touched."""
    touched = (RecordStatus.created, RecordStatus.updated)
    ids = sorted({r.study_id for r in report.records if r.status in touched and r.study_id})
    if not ids:
        return []
    async with EnrichClient.from_settings(settings) as client:
        enriched = await enrich_studies(session, client, actor, study_ids=ids)
    return [describe(result) for result in enriched.results]


def finish(job: ImportJob, report: ImportReport) -> None:
    rejected = report.counts.rejected and job.on_error == OnError.reject
    job.status = ImportStatus.rejected.value if rejected else ImportStatus.succeeded.value
    job.report = report.model_dump(mode="json")
    job.processed = job.total = len(report.records)
    job.finished_at = utcnow()
    job.payload = None


def outcome_of(error: Exception) -> ImportStatus:
    """A file refused as a whole (unreadable, no records) is rejected; anything else failed."""
    return ImportStatus.rejected if isinstance(error, ProblemError) else ImportStatus.failed


def rejection(job: ImportJob) -> ImportRejected:
    assert job.report is not None
    counts = job.report["counts"]
    return ImportRejected(
        f"{counts['rejected']} of {job.total} records were rejected, so nothing was imported; "
        "fix them, or send on_error=skip to import the rest",
        errors=[
            {
                "field": f"records[{r['index']}].{r['field'] or 'record'}",
                "location": "body",
                "reason": r["reason"],
            }
            for r in job.report["records"]
            if r["status"] == RecordStatus.rejected
        ],
        extra={"import": to_read(job).model_dump(mode="json")},
    )


async def find_replay(
    session: AsyncSession, actor: Actor, idempotency_key: str, digest: str
) -> ImportJob | None:
    job = await session.scalar(
        select(ImportJob).where(
            ImportJob.key_id == actor.key_id, ImportJob.idempotency_key == idempotency_key
        )
    )
    if job is not None and job.request_hash != digest:
        raise IdempotencyMismatch(
            "this Idempotency-Key was used for a different request; use a new key"
        )
    return job


async def get_import(session: AsyncSession, job_id: int) -> ImportJob:
    job = await session.get(ImportJob, job_id)
    if job is None:
        raise ResourceNotFound(f"no import has the id {job_id}")
    return job
