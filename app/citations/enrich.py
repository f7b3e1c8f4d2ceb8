"""Filling a study's empty citation fields from Crossref (by DOI) or PubMed (by PMID).

A study is looked up by its DOI at Crossref (``/works/{doi}``) or, without a DOI or when
Crossref has no such work, by its PMID at PubMed (E-utilities ``efetch``). The responses are
read by the readers imports use (``formats.crossref_json``, ``formats.pubmed_xml``) and
checked by the same ``normalize``. Only empty fields are filled: a stored value is never
overwritten, and a fetched value that differs from it is reported, not applied. An identifier
(DOI, PMID, PMCID) another study already holds is not filled either. Every change is audited.

Being a polite client: with ``enrich_mailto`` set, Crossref gets it as the ``mailto``
parameter and in the User-Agent (its "polite pool"), and NCBI gets it as ``email`` beside
``tool``. E-utilities requests are spaced (NCBI allows three a second without an API key).
429, 5xx and network errors (timeouts included) are retried with exponential backoff, waiting
as long as ``Retry-After`` asks on 429 and 503 (up to a cap). 404 means "not found" and is not
retried; another 4xx fails at once.
"""

import asyncio
import importlib.metadata
import inspect
import sys
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from enum import StrEnum
from typing import Any, Self
from urllib.parse import quote

import httpx
from sqlalchemy import ColumnElement, and_, or_, select
from sqlalchemy import inspect as orm_inspect
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute, selectinload
from tqdm import tqdm

from app.auth.keys import COMMAND_LINE, Actor
from app.changes import Change, fill_empty
from app.citations.formats import crossref_json, pubmed_xml
from app.citations.normalize import InvalidCitation, normalize
from app.citations.record import Author, Citation, RawCitation, UnreadableFile, UnreadableRecord
from app.citations.store import study_authors, title_key
from app.config import Settings, get_settings
from app.db import create_engine, create_sessionmaker
from app.history.service import record
from app.models import Study
from app.models.enums import AuditAction

TOOL = "hair-evidence"
# A Retry-After longer than this is cut to it: a command should not sleep for an hour.
MAX_RETRY_AFTER_SECONDS = 120.0
# NCBI allows three E-utilities requests a second without an API key.
EUTILS_INTERVAL_SECONDS = 0.34
_RETRY_AFTER_STATUSES = frozenset({429, 503})
# Unique columns: filling one with a value another study holds would break the constraint.
_IDENTIFIERS: dict[str, InstrumentedAttribute[str | None]] = {
    "doi": Study.doi_key,
    "pmid": Study.pmid,
    "pmcid": Study.pmcid,
}


def _version() -> str:
    try:
        return importlib.metadata.version(TOOL)
    except importlib.metadata.PackageNotFoundError:
        return "dev"


class EnrichError(Exception):
    """Why a study could not be enriched, said for people."""


class NotFound(EnrichError):
    """Neither Crossref nor PubMed knows the study's identifiers (or it has none)."""


class FetchFailed(EnrichError):
    """No usable answer: network errors or 429/5xx after every retry, or another status."""


class UnusableRecord(EnrichError):
    """The record was found but cannot be stored (``normalize`` refused it)."""


def _retry_after(response: httpx.Response) -> float | None:
    """Seconds a 429 or 503 asks to wait (delta-seconds or an HTTP date), capped."""
    if response.status_code not in _RETRY_AFTER_STATUSES:
        return None
    value = response.headers.get("Retry-After", "").strip()
    if not value:
        return None
    if value.isdigit():
        seconds = float(value)
    else:
        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        seconds = (when - datetime.now(UTC)).total_seconds()
    return min(max(seconds, 0.0), MAX_RETRY_AFTER_SECONDS)


def _transport_problem(error: httpx.TransportError) -> str:
    message = str(error)
    return f"{type(error).__name__}: {message}" if message else type(error).__name__


class EnrichClient:
    """Crossref and PubMed look-ups over ``httpx.AsyncClient``, with retries and backoff.

    Use ``from_settings`` (or pass an ``httpx.AsyncClient`` of your own, which then stays
    yours to close), and close it with ``aclose`` or ``async with``.
    """

    def __init__(
        self,
        http: httpx.AsyncClient | None = None,
        *,
        crossref_base_url: str = "https://api.crossref.org",
        eutils_base_url: str = "https://eutils.ncbi.nlm.nih.gov/entrez/eutils",
        timeout_seconds: float = 20.0,
        retries: int = 3,
        backoff_seconds: float = 1.0,
        mailto: str | None = None,
        max_page_span: int = 150,
        eutils_interval_seconds: float = EUTILS_INTERVAL_SECONDS,
    ) -> None:
        self.crossref_base_url = crossref_base_url.rstrip("/")
        self.eutils_base_url = eutils_base_url.rstrip("/")
        self.timeout_seconds = timeout_seconds
        self.retries = retries
        self.backoff_seconds = backoff_seconds
        self.mailto = mailto or None
        self.max_page_span = max_page_span
        self.eutils_interval_seconds = eutils_interval_seconds
        self._owns_http = http is None
        self._http = http if http is not None else httpx.AsyncClient(timeout=timeout_seconds)
        self._eutils_next = 0.0  # monotonic time the next E-utilities request may start

    @classmethod
    def from_settings(cls, settings: Settings, http: httpx.AsyncClient | None = None) -> Self:
        return cls(
            http,
            crossref_base_url=settings.enrich_crossref_base_url,
            eutils_base_url=settings.enrich_eutils_base_url,
            timeout_seconds=settings.enrich_timeout_seconds,
            retries=settings.enrich_retries,
            backoff_seconds=settings.enrich_backoff_seconds,
            mailto=settings.enrich_mailto,
            max_page_span=settings.max_plausible_page_span,
        )

    async def aclose(self) -> None:
        if self._owns_http:
            await self._http.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    @property
    def user_agent(self) -> str:
        agent = f"{TOOL}/{_version()}"
        return f"{agent} (mailto:{self.mailto})" if self.mailto else agent

    async def crossref_work(self, doi: str) -> RawCitation | None:
        """The Crossref work with this DOI, or None when Crossref has none (404)."""
        url = f"{self.crossref_base_url}/works/{quote(doi, safe='/')}"
        params = {"mailto": self.mailto} if self.mailto else {}
        response = await self._get("Crossref", url, params)
        if response is None:
            return None
        try:
            for item in crossref_json.read(response.text):
                if isinstance(item, UnreadableRecord):
                    raise FetchFailed(f"Crossref sent a work that cannot be read: {item.reason}")
                return item
        except UnreadableFile as error:
            raise FetchFailed(f"Crossref sent an unreadable response: {error.reason}") from None
        return None

    async def pubmed_article(self, pmid: str) -> RawCitation | None:
        """The PubMed article with this PMID, or None when efetch returns no such article."""
        params = {"db": "pubmed", "id": pmid, "retmode": "xml", "tool": TOOL}
        if self.mailto:
            params["email"] = self.mailto
        url = f"{self.eutils_base_url}/efetch.fcgi"
        response = await self._get("PubMed", url, params, spaced=True)
        if response is None:
            return None
        try:
            for item in pubmed_xml.read(response.text):
                if isinstance(item, RawCitation) and (item.pmid or "").strip() == pmid:
                    return item
        except UnreadableFile as error:
            raise FetchFailed(f"PubMed sent an unreadable response: {error.reason}") from None
        return None

    async def _take_turn(self) -> None:
        now = time.monotonic()
        start = max(now, self._eutils_next)
        self._eutils_next = start + self.eutils_interval_seconds
        if start > now:
            await asyncio.sleep(start - now)

    async def _get(
        self, source: str, url: str, params: dict[str, str], *, spaced: bool = False
    ) -> httpx.Response | None:
        """The successful response, None on 404, or ``FetchFailed`` once retries run out."""
        headers = {"User-Agent": self.user_agent}
        attempt = 0
        while True:
            if spaced:
                await self._take_turn()
            wait: float | None = None
            try:
                response = await self._http.get(
                    url,
                    params=params,
                    headers=headers,
                    timeout=self.timeout_seconds,
                    follow_redirects=True,
                )
            except httpx.TransportError as error:
                problem = _transport_problem(error)
            else:
                status = response.status_code
                if status == 404:
                    return None
                if response.is_success:
                    return response
                if status != 429 and status < 500:
                    raise FetchFailed(f"{source} answered HTTP {status} (not retried)")
                problem = f"HTTP {status}"
                wait = _retry_after(response)
            if attempt >= self.retries:
                tries = f"{attempt + 1} attempts" if attempt else "1 attempt"
                raise FetchFailed(f"network error after {tries} at {source} (last: {problem})")
            await asyncio.sleep(wait if wait is not None else self.backoff_seconds * 2**attempt)
            attempt += 1


@dataclass(frozen=True, slots=True)
class Fetched:
    """A normalised record and where it came from (``Crossref DOI 10.1/x``)."""

    source: str
    citation: Citation


LookUp = Callable[[str], Awaitable[RawCitation | None]]


async def fetch_citation(client: EnrichClient, study: Study) -> Fetched:
    """The study's record: by DOI from Crossref, else (or if Crossref has none) by PMID."""
    lookups: list[tuple[str, str, str, LookUp]] = []
    if study.doi:
        lookups.append(("Crossref", "DOI", study.doi, client.crossref_work))
    if study.pmid:
        lookups.append(("PubMed", "PMID", study.pmid, client.pubmed_article))
    if not lookups:
        raise NotFound("the study has no DOI or PMID to look up")
    failures: list[str] = []
    misses: list[str] = []
    for source, kind, identifier, look_up in lookups:
        label = f"{kind} {identifier}"
        try:
            raw = await look_up(identifier)
        except FetchFailed as error:
            failures.append(str(error))
            continue
        if raw is None:
            misses.append(f"{source} has no record of {label}")
            continue
        try:
            citation = normalize(raw, max_page_span=client.max_page_span)
        except InvalidCitation as error:
            raise UnusableRecord(
                f"{source}'s record for {label} cannot be stored: {error.field}: {error.reason}"
            ) from None
        return Fetched(f"{source} {label}", citation)
    if failures:
        raise FetchFailed("; ".join([*failures, *misses]))
    raise NotFound("; ".join(misses))


def _author(author: Author) -> dict[str, str | None]:
    return {"family": author.family, "given": author.given}


def _blank(value: Any) -> bool:
    return value is None or value == ""


@dataclass(slots=True)
class _Applied:
    changes: dict[str, Change]
    # Stored values the record gives differently: kept, reported.
    conflicts: dict[str, Change]
    # Identifier fields left empty because another study holds the value: {field: (value, id)}.
    taken: dict[str, tuple[str, int]]


async def _apply(session: AsyncSession, study: Study, fetched: Fetched, actor: Actor) -> _Applied:
    citation = fetched.citation
    if "authors" in orm_inspect(study).unloaded:
        await session.refresh(study, attribute_names=["authors"])
    values: dict[str, Any] = {
        "title": citation.title,
        "journal": citation.journal,
        "year": citation.year,
        "volume": citation.volume,
        "issue": citation.issue,
        "pages": citation.pages,
        "doi": citation.doi,
        "pmid": citation.pmid,
        "pmcid": citation.pmcid,
        "url": citation.url,
        "abstract": citation.abstract,
    }
    taken: dict[str, tuple[str, int]] = {}
    for name, column in _IDENTIFIERS.items():
        value = citation.doi_key if name == "doi" else values[name]
        if value is None or not _blank(getattr(study, name)):
            continue
        other = await session.scalar(select(Study.id).where(column == value, Study.id != study.id))
        if other is not None:
            taken[name] = (values.pop(name), other)
    changes, conflicts = fill_empty(study, values)
    # Derived columns follow the fields they come from; the history shows the field.
    if "doi" in changes:
        study.doi_key = citation.doi_key
    if "title" in changes:
        study.title_key = title_key(study.title)
    if not study.authors and citation.authors:
        study.authors = study_authors(citation)
        changes["authors"] = ([], [_author(author) for author in citation.authors])
    # What normalising noticed about a value stored here now (a reversed page range...).
    new_warnings = [
        warning.as_dict()
        for warning in citation.warnings
        if warning.field in changes and warning.as_dict() not in study.warnings
    ]
    if new_warnings:
        changes["warnings"] = (study.warnings, [*study.warnings, *new_warnings])
        study.warnings = changes["warnings"][1]
    if changes:
        await session.flush()
        await record(
            session, actor, resource="studies", resource_id=study.id,
            resource_key=str(study.id), action=AuditAction.update, changes=changes,
        )  # fmt: skip
    return _Applied(changes, conflicts, taken)


async def enrich_study(
    session: AsyncSession, study: Study, client: EnrichClient, actor: Actor
) -> dict[str, Change]:
    """Fill the study's empty fields from Crossref or PubMed; return ``{field: (old, new)}``.

    Raises ``NotFound`` when neither source knows the study, ``FetchFailed`` when no answer
    came after the retries, ``UnusableRecord`` when the record cannot be stored. Nothing is
    changed then. Changes are flushed and audited (resource "studies", action update); the
    caller commits.
    """
    fetched = await fetch_citation(client, study)
    return (await _apply(session, study, fetched, actor)).changes


class Outcome(StrEnum):
    updated = "updated"
    unchanged = "unchanged"
    not_found = "not found"
    failed = "failed"
    skipped = "skipped"


@dataclass(slots=True)
class StudyResult:
    study_id: int
    outcome: Outcome
    changes: dict[str, Change] = field(default_factory=dict)
    conflicts: dict[str, Change] = field(default_factory=dict)
    taken: dict[str, tuple[str, int]] = field(default_factory=dict)
    # Where the record came from ("Crossref DOI 10.1/x"), when one came.
    source: str | None = None
    # Why nothing was filled, for not found, failed and skipped.
    reason: str | None = None


@dataclass(slots=True)
class EnrichReport:
    results: list[StudyResult] = field(default_factory=list)

    @property
    def counts(self) -> dict[Outcome, int]:
        counts = dict.fromkeys(Outcome, 0)
        for result in self.results:
            counts[result.outcome] += 1
        return counts


# Called after each study with its result and the number of results the walk will give.
Progress = Callable[[StudyResult, int], Awaitable[None] | None]


def _missing_a_field() -> ColumnElement[bool]:
    blank_text = (
        Study.journal, Study.volume, Study.issue, Study.pages, Study.doi, Study.pmid,
        Study.pmcid, Study.url, Study.abstract,
    )  # fmt: skip
    return or_(
        Study.title == "",
        Study.year.is_(None),
        *(or_(column.is_(None), column == "") for column in blank_text),
        ~Study.authors.any(),
    )


def _has_identifier() -> ColumnElement[bool]:
    return or_(
        and_(Study.doi.is_not(None), Study.doi != ""),
        and_(Study.pmid.is_not(None), Study.pmid != ""),
    )


async def _skipped(session: AsyncSession, study_ids: Sequence[int]) -> list[StudyResult]:
    """Why each asked-for study that is not walked is not."""
    eligible = set(
        await session.scalars(
            select(Study.id).where(Study.id.in_(study_ids), _has_identifier(), _missing_a_field())
        )
    )
    rows = {
        row.id: row
        for row in await session.execute(
            select(Study.id, Study.doi, Study.pmid).where(Study.id.in_(study_ids))
        )
    }
    skipped = []
    for study_id in dict.fromkeys(study_ids):
        if study_id in eligible:
            continue
        if study_id not in rows:
            reason = "no such study"
        elif not (rows[study_id].doi or rows[study_id].pmid):
            reason = "no DOI or PMID to look up"
        else:
            reason = "no empty field to fill"
        skipped.append(StudyResult(study_id, Outcome.skipped, reason=reason))
    return skipped


async def _enrich_one(
    session: AsyncSession, client: EnrichClient, actor: Actor, study_id: int
) -> StudyResult:
    study = await session.scalar(
        select(Study).where(Study.id == study_id).options(selectinload(Study.authors))
    )
    if study is None:
        return StudyResult(study_id, Outcome.skipped, reason="deleted during the run")
    # The look-up holds no write lock: nothing is written before the answer is in.
    try:
        fetched = await fetch_citation(client, study)
    except NotFound as error:
        return StudyResult(study_id, Outcome.not_found, reason=str(error))
    except EnrichError as error:
        return StudyResult(study_id, Outcome.failed, reason=str(error))
    try:
        async with session.begin_nested():
            applied = await _apply(session, study, fetched, actor)
    except SQLAlchemyError as error:
        reason = f"could not store the changes: {type(error).__name__}"
        return StudyResult(study_id, Outcome.failed, source=fetched.source, reason=reason)
    return StudyResult(
        study_id,
        Outcome.updated if applied.changes else Outcome.unchanged,
        changes=applied.changes,
        conflicts=applied.conflicts,
        taken=applied.taken,
        source=fetched.source,
    )


async def enrich_studies(
    session: AsyncSession,
    client: EnrichClient,
    actor: Actor,
    *,
    study_ids: Sequence[int] | None = None,
    limit: int | None = None,
    progress: Progress | None = None,
) -> EnrichReport:
    """Enrich, in id order, the studies with a DOI or PMID that miss some citation field.

    ``study_ids`` restricts the walk (asked-for studies that are not walked are reported as
    skipped, with the reason); ``limit`` caps how many are looked up. One study's failure does
    not stop the walk: its changes (in a savepoint) are rolled back and it is reported.
    ``progress`` is called after each study, its changes flushed; a caller may commit there,
    so that a long walk holds no transaction open across look-ups.
    """
    statement = select(Study.id).where(_has_identifier(), _missing_a_field()).order_by(Study.id)
    report = EnrichReport()
    if study_ids is not None:
        statement = statement.where(Study.id.in_(study_ids))
        report.results.extend(await _skipped(session, study_ids))
    if limit is not None:
        statement = statement.limit(limit)
    walk = list(await session.scalars(statement))
    total = len(report.results) + len(walk)
    for done in list(report.results):
        await _report_progress(progress, done, total)
    for study_id in walk:
        result = await _enrich_one(session, client, actor, study_id)
        report.results.append(result)
        await _report_progress(progress, result, total)
    return report


async def _report_progress(progress: Progress | None, result: StudyResult, total: int) -> None:
    if progress is None:
        return
    pending = progress(result, total)
    if inspect.isawaitable(pending):
        await pending


def describe(result: StudyResult) -> str:
    """One line for a person: what was filled, or why not."""
    filled = sorted(name for name in result.changes if name != "warnings")
    if result.outcome is Outcome.updated:
        text = f"filled {', '.join(filled)} from {result.source}"
    elif result.outcome is Outcome.unchanged:
        text = f"nothing to fill from {result.source}"
    elif result.outcome is Outcome.failed:
        text = f"failed: {result.reason}"
    else:
        text = f"{result.outcome.value}: {result.reason}"
    if "warnings" in result.changes:
        before, after = result.changes["warnings"]
        codes = [warning["code"] for warning in after[len(before) :]]
        text += f"; warned: {', '.join(codes)}"
    if result.conflicts:
        text += f"; kept the stored {', '.join(sorted(result.conflicts))} (the record differs)"
    for name, (value, other) in sorted(result.taken.items()):
        text += f"; {name} {value} not filled: study {other} has it"
    return f"study {result.study_id}: {text}"


async def _resolve(
    settings: Settings, study_ids: Sequence[int] | None, limit: int | None
) -> EnrichReport:
    engine = create_engine(settings)
    bar = tqdm(unit=" studies", desc="resolving", leave=False, disable=None, file=sys.stderr)
    try:
        async with (
            EnrichClient.from_settings(settings) as client,
            create_sessionmaker(engine)() as session,
        ):

            async def advance(result: StudyResult, total: int) -> None:
                # One transaction per study: no lock is held while the next one is looked up.
                await session.commit()
                if bar.total != total:
                    bar.total = total
                    bar.refresh()
                bar.update(1)
                tqdm.write(describe(result), file=sys.stdout)

            report = await enrich_studies(
                session, client, COMMAND_LINE, study_ids=study_ids, limit=limit, progress=advance
            )
            await session.commit()
            return report
    finally:
        bar.close()
        await engine.dispose()


def resolve_command(study_ids: Sequence[int] | None, limit: int | None) -> int:
    """``hair-evidence resolve``: a line per study, a summary; exit 1 if any look-up failed."""
    if limit is not None and limit < 1:
        print("hair-evidence: --limit must be at least 1", file=sys.stderr)
        return 2
    report = asyncio.run(_resolve(get_settings(), study_ids, limit))
    counts = report.counts
    print("resolve: " + ", ".join(f"{counts[outcome]} {outcome.value}" for outcome in Outcome))
    return 1 if counts[Outcome.failed] else 0
