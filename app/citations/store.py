"""Storing normalised citations as studies: match by DOI or PMID, else flag duplicates."""

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from app.changes import Change, differences, fill_empty
from app.citations.record import Citation
from app.models import Source, Study, StudyAuthor
from app.models.enums import EVIDENCE_LEVEL_BY_DESIGN, SourceKind, StudyDesign


class StoreStatus(StrEnum):
    created = "created"
    updated = "updated"
    unchanged = "unchanged"
    duplicate = "duplicate"


@dataclass(slots=True)
class StoreResult:
    status: StoreStatus
    study: Study
    changes: dict[str, Change] = field(default_factory=dict)
    conflicts: dict[str, Change] = field(default_factory=dict)


def title_key(title: str) -> str:
    folded = "".join(ch if ch.isalnum() else " " for ch in title.casefold())
    return " ".join(folded.split())[:500]


def study_values(citation: Citation, curated: dict[str, Any]) -> dict[str, Any]:
    design = curated.get("design")
    level = curated.get("evidence_level")
    if level is None and design is not None:
        level = EVIDENCE_LEVEL_BY_DESIGN[StudyDesign(design)]
    return {
        "doi": citation.doi,
        "doi_key": citation.doi_key,
        "pmid": citation.pmid,
        "pmcid": citation.pmcid,
        "title": citation.title,
        "title_key": title_key(citation.title),
        "journal": citation.journal,
        "year": citation.year,
        "volume": citation.volume,
        "issue": citation.issue,
        "pages": citation.pages,
        "url": citation.url,
        "abstract": citation.abstract,
        **curated,
        "evidence_level": level,
    }


async def find_match(session: AsyncSession, citation: Citation) -> Study | None:
    identifiers = []
    if citation.doi_key:
        identifiers.append(Study.doi_key == citation.doi_key)
    if citation.pmid:
        identifiers.append(Study.pmid == citation.pmid)
    if not identifiers:
        return None
    statement = select(Study).where(or_(*identifiers)).options(selectinload(Study.authors)).limit(1)
    return (await session.scalars(statement)).first()


async def find_probable_duplicate(session: AsyncSession, citation: Citation) -> Study | None:
    """Same normalised title and year: probably the same work, without a shared identifier."""
    statement = (
        select(Study)
        .where(Study.title_key == title_key(citation.title), Study.year == citation.year)
        .options(selectinload(Study.authors))
        .limit(1)
    )
    return (await session.scalars(statement)).first()


async def store_citation(
    session: AsyncSession, citation: Citation, curated: dict[str, Any] | None = None
) -> StoreResult:
    """Create, update (fill empty fields) or recognise a study. Only flushes."""
    values = study_values(citation, curated or {})
    study = await find_match(session, citation)
    if study is None:
        duplicate = await find_probable_duplicate(session, citation)
        if duplicate is not None:
            # Without a shared identifier only an identical record is the same study.
            same = not differences(duplicate, values) and not _new_warnings(duplicate, citation)
            status = StoreStatus.unchanged if same else StoreStatus.duplicate
            return StoreResult(status, duplicate)
        return StoreResult(StoreStatus.created, await create_study(session, citation, values))

    filled, conflicts = fill_empty(study, values)
    new_warnings = _new_warnings(study, citation)
    if new_warnings:
        filled["warnings"] = (study.warnings, [*study.warnings, *new_warnings])
        study.warnings = filled["warnings"][1]
    if not study.authors and citation.authors:
        study.authors = study_authors(citation)
        filled["authors"] = ([], [author.family for author in citation.authors])
    await session.flush()
    status = StoreStatus.updated if filled else StoreStatus.unchanged
    return StoreResult(status, study, filled, conflicts)


def _new_warnings(study: Study, citation: Citation) -> list[dict[str, Any]]:
    stored = study.warnings
    return [warning.as_dict() for warning in citation.warnings if warning.as_dict() not in stored]


def study_authors(citation: Citation) -> list[StudyAuthor]:
    return [
        StudyAuthor(position=position, family=author.family, given=author.given)
        for position, author in enumerate(citation.authors, start=1)
    ]


async def create_study(session: AsyncSession, citation: Citation, values: dict[str, Any]) -> Study:
    study = Study(
        **values,
        warnings=[warning.as_dict() for warning in citation.warnings],
        authors=study_authors(citation),
    )
    session.add(study)
    await session.flush()
    session.add(
        Source(kind=SourceKind.study, study_id=study.id, title=study.title, year=study.year)
    )
    await session.flush()
    return study
