"""Creating, changing and deleting studies through the citation rules imports follow."""

from typing import Any

from sqlalchemy import delete, exists, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from app.auth.keys import Actor
from app.changes import apply_changes
from app.citations.normalize import InvalidCitation, normalize
from app.citations.record import Author, Citation, RawCitation
from app.citations.store import create_study as store_new_study
from app.citations.store import study_authors, study_values
from app.config import Settings
from app.editing import (
    Conflict,
    guarded_flush,
    load_for_change,
    refuse_clearing,
    refuse_if_used,
    remove,
    require_current,
    save_applied,
)
from app.errors import InvalidParameter
from app.history.service import created, record
from app.models import Caution, Finding, SideEffectReport, Source, Study
from app.models.enums import AuditAction
from app.reads import SessionReader
from app.studies.schemas import StudyCreate, StudyDetail, StudyUpdate
from app.studies.service import get_study

RESOURCE = "studies"
_CITATION_FIELDS = (
    "title", "doi", "pmid", "pmcid", "journal", "year", "volume", "issue", "pages", "url",
    "abstract",
)  # fmt: skip
_CURATED_FIELDS = (
    "design", "pilot", "species", "sample_size", "duration_weeks", "blinding",
    "evidence_level", "retracted",
)  # fmt: skip
# Kept for look-ups, reported through the fields they derive from.
_DERIVED_COLUMNS = ("doi_key", "title_key")
# Warnings that normalising recomputes; others (from imports) are kept.
_DERIVED_WARNINGS = frozenset({"page_range_reversed", "page_span_implausible", "journal_missing"})


def _citation(
    fields: dict[str, Any], authors: list[dict[str, Any]], settings: Settings
) -> Citation:
    raw = RawCitation(
        title=fields.get("title"),
        authors=[Author(family=a["family"], given=a.get("given")) for a in authors],
        year=str(fields["year"]) if fields.get("year") is not None else None,
        journal=fields.get("journal"),
        volume=fields.get("volume"),
        issue=fields.get("issue"),
        pages=fields.get("pages"),
        doi=fields.get("doi"),
        pmid=fields.get("pmid"),
        pmcid=fields.get("pmcid"),
        url=str(fields["url"]) if fields.get("url") else None,
        abstract=fields.get("abstract"),
    )
    try:
        return normalize(raw, max_page_span=settings.max_plausible_page_span)
    except InvalidCitation as error:
        raise InvalidParameter(error.field, error.reason, location="body") from None


async def _refuse_taken_identifiers(
    session: AsyncSession, citation: Citation, own_id: int | None
) -> None:
    for field, column, value in (
        ("doi", Study.doi_key, citation.doi_key),
        ("pmid", Study.pmid, citation.pmid),
        ("pmcid", Study.pmcid, citation.pmcid),
    ):
        if value is None:
            continue
        other = await session.scalar(
            select(Study.id).where(column == value, Study.id != (own_id or 0))
        )
        if other is not None:
            raise Conflict(f"study {other} already has the {field} {value}")


async def create_study(
    session: AsyncSession, actor: Actor, data: StudyCreate, settings: Settings
) -> StudyDetail:
    fields = data.model_dump()
    citation = _citation(fields, fields["authors"], settings)
    await _refuse_taken_identifiers(session, citation, None)
    curated = {name: fields[name] for name in _CURATED_FIELDS}
    async with guarded_flush(session, "the study"):  # a concurrent twin is a 409, not a 500
        study = await store_new_study(session, citation, study_values(citation, curated))
    await record(
        session, actor, resource=RESOURCE, resource_id=study.id, resource_key=str(study.id),
        action=AuditAction.create,
        changes=created({**_snapshot(study), "authors": fields["authors"]}),
    )  # fmt: skip
    return await get_study(SessionReader(session), study.id)


def _snapshot(study: Study) -> dict[str, Any]:
    return {
        name: getattr(study, name) for name in (*_CITATION_FIELDS, *_CURATED_FIELDS, "warnings")
    }


async def _load(session: AsyncSession, study_id: int) -> Study:
    study: Study = await load_for_change(
        session, Study.id, study_id, "study", selectinload(Study.authors)
    )
    return study


async def update_study(
    session: AsyncSession,
    actor: Actor,
    study_id: int,
    data: StudyUpdate,
    if_match: str | None,
    settings: Settings,
) -> StudyDetail:
    study = await _load(session, study_id)
    require_current(if_match, await get_study(SessionReader(session), study_id))
    sent = data.model_dump(exclude_unset=True)
    refuse_clearing(sent, ("title", "authors", "pilot", "retracted"))
    current_authors = [{"family": a.family, "given": a.given} for a in study.authors]
    fields = {name: getattr(study, name) for name in _CITATION_FIELDS} | sent
    authors = sent.get("authors", current_authors)
    citation = _citation(fields, authors, settings)
    await _refuse_taken_identifiers(session, citation, study_id)
    curated = {name: sent.get(name, getattr(study, name)) for name in _CURATED_FIELDS}
    if sent.get("design", study.design) != study.design and "evidence_level" not in sent:
        curated["evidence_level"] = None  # re-derived from the new design
    values = study_values(citation, curated)
    kept = [w for w in study.warnings if w["code"] not in _DERIVED_WARNINGS]
    values["warnings"] = kept + [w.as_dict() for w in citation.warnings if w.as_dict() not in kept]
    changes = apply_changes(study, values)
    if authors != current_authors:
        # The old rows go first: (study, position) is unique.
        study.authors = []
        await session.flush()
        study.authors = study_authors(citation)
        changes["authors"] = (current_authors, authors)
    for derived in _DERIVED_COLUMNS:
        changes.pop(derived, None)
    await save_applied(session, actor, study, changes, resource=RESOURCE, key=lambda: str(study_id))
    return await get_study(SessionReader(session), study_id)


async def delete_study(
    session: AsyncSession, actor: Actor, study_id: int, if_match: str | None, *, cascade: bool
) -> None:
    """Delete a study; with ``cascade`` also the findings and reports that depend on it."""
    study = await _load(session, study_id)
    require_current(if_match, await get_study(SessionReader(session), study_id))
    source_id = await session.scalar(select(Source.id).where(Source.study_id == study_id))
    depends = {
        "findings": exists().where(
            or_(Finding.study_id == study_id, Finding.source_id == source_id)
        ),
        "side-effect reports": exists().where(
            or_(SideEffectReport.study_id == study_id, SideEffectReport.source_id == source_id)
        ),
    }
    await refuse_if_used(
        session, f"study {study_id}", {"cautions": exists().where(Caution.source_id == source_id)}
    )
    if not cascade:
        await refuse_if_used(session, f"study {study_id} (pass cascade=true)", depends)
    findings = await session.scalars(
        select(Finding).where(or_(Finding.study_id == study_id, Finding.source_id == source_id))
    )
    for finding in findings:
        await remove(session, actor, finding, resource="findings", key=str(finding.id))
    reports = await session.scalars(
        select(SideEffectReport).where(
            or_(SideEffectReport.study_id == study_id, SideEffectReport.source_id == source_id)
        )
    )
    for report in reports:
        await remove(session, actor, report, resource="side-effect-reports", key=str(report.id))
    await session.execute(delete(Source).where(Source.id == source_id))
    await remove(session, actor, study, resource=RESOURCE, key=str(study_id))
