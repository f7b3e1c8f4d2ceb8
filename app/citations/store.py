"""Storing normalised citations as studies, in batches.

An incoming citation that shares a DOI (without regard to case) or a PMID with a stored study
updates it, filling only empty fields and reporting conflicting ones. Without a shared
identifier, the same normalised title and year marks a probable duplicate, which is not
created again. The store remembers what it created, so a record repeated in one file is
recognised as a repeat.
"""

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from itertools import groupby
from typing import Any

from sqlalchemy import insert, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from app.changes import Change, differences, fill_empty
from app.citations.record import Author, Citation
from app.models import Source, Study, StudyAuthor
from app.models.base import table_of
from app.models.enums import EVIDENCE_LEVEL_BY_DESIGN, SourceKind, StudyDesign
from app.search.index import SearchKind, reindex

# Derived from other fields: a difference there is reported on the field it comes from.
_DERIVED = frozenset({"doi_key", "title_key", "evidence_level"})


class StoreStatus(StrEnum):
    created = "created"
    updated = "updated"
    unchanged = "unchanged"
    duplicate = "duplicate"


class StagedStudy:
    """A new study waiting for the batch's bulk insert: its column values, then its id.

    Attribute access reads and writes the values, so matching and filling treat it like a
    stored ``Study``; its authors are the citation's, inserted with it.
    """

    def __init__(self, values: dict[str, Any], authors: list[Author]) -> None:
        object.__setattr__(self, "values", values)
        object.__setattr__(self, "authors", authors)
        object.__setattr__(self, "id", None)

    def __getattr__(self, name: str) -> Any:
        try:
            return self.values[name]
        except KeyError:
            raise AttributeError(name) from None

    def __setattr__(self, name: str, value: Any) -> None:
        if name in ("authors", "id"):
            object.__setattr__(self, name, value)
        else:
            self.values[name] = value


@dataclass(slots=True)
class StoreResult:
    status: StoreStatus
    study: Any  # a stored Study, or a StagedStudy with its id once flushed
    changes: dict[str, Change] = field(default_factory=dict)
    conflicts: dict[str, Change] = field(default_factory=dict)
    # True when the study was created by an earlier record of the same run.
    repeat: bool = False


_NOT_ALNUM = re.compile(r"[\W_]+")


def title_key(title: str) -> str:
    """Case, punctuation and spacing folded away: how probable duplicates are recognised."""
    return _NOT_ALNUM.sub(" ", title.casefold()).strip()[:500]


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


def study_authors(citation: Citation) -> list[StudyAuthor]:
    return [
        StudyAuthor(position=position, family=author.family, given=author.given)
        for position, author in enumerate(citation.authors, start=1)
    ]


def _warnings(citation: Citation) -> list[dict[str, Any]]:
    return [warning.as_dict() for warning in citation.warnings]


class CitationStore:
    """Matches and stores citations; one look-up query per batch, new studies inserted together."""

    def __init__(self, session: AsyncSession, *, import_id: int | None = None) -> None:
        self.session = session
        self.import_id = import_id
        self._by_doi: dict[str, Any] = {}
        self._by_pmid: dict[str, Any] = {}
        self._by_title: dict[tuple[str, int | None], Any] = {}
        self._created: set[int] = set()  # ids of the studies this store created
        self._pending: list[StagedStudy] = []

    def _remember(self, study: Any) -> None:
        if study.doi_key:
            self._by_doi.setdefault(study.doi_key, study)
        if study.pmid:
            self._by_pmid.setdefault(study.pmid, study)
        self._by_title.setdefault((study.title_key, study.year), study)

    async def prefetch(self, citations: Iterable[Citation]) -> None:
        """Load every stored study a batch could match, in one query."""
        dois, pmids, titles = set(), set(), set()
        for citation in citations:
            if citation.doi_key and citation.doi_key not in self._by_doi:
                dois.add(citation.doi_key)
            if citation.pmid and citation.pmid not in self._by_pmid:
                pmids.add(citation.pmid)
            titles.add(title_key(citation.title))
        clauses = []
        if dois:
            clauses.append(Study.doi_key.in_(dois))
        if pmids:
            clauses.append(Study.pmid.in_(pmids))
        if titles:
            clauses.append(Study.title_key.in_(titles))
        if not clauses:
            return
        found = await self.session.scalars(
            select(Study).where(or_(*clauses)).options(selectinload(Study.authors))
        )
        for study in found:
            self._remember(study)

    def _match(self, citation: Citation) -> Any:
        if citation.doi_key and citation.doi_key in self._by_doi:
            return self._by_doi[citation.doi_key]
        if citation.pmid and citation.pmid in self._by_pmid:
            return self._by_pmid[citation.pmid]
        return None

    def store(self, citation: Citation, curated: dict[str, Any] | None = None) -> StoreResult:
        """Decide and stage what a citation does; `flush` writes the batch."""
        values = study_values(citation, curated or {})
        study = self._match(citation)
        if study is None:
            probable = self._by_title.get((values["title_key"], citation.year))
            if probable is not None:
                return self._probable_duplicate(probable, citation, values)
            return StoreResult(StoreStatus.created, self._stage(citation, values))
        repeat = self._created_here(study)
        filled, conflicts = fill_empty(study, values)
        new_warnings = [w for w in _warnings(citation) if w not in study.warnings]
        if new_warnings:
            filled["warnings"] = (study.warnings, [*study.warnings, *new_warnings])
            study.warnings = filled["warnings"][1]
        if not study.authors and citation.authors:
            staged = isinstance(study, StagedStudy)
            study.authors = list(citation.authors) if staged else study_authors(citation)
            filled["authors"] = ([], [author.family for author in citation.authors])
        for name in _DERIVED:
            filled.pop(name, None)
            conflicts.pop(name, None)
        if repeat:
            return StoreResult(StoreStatus.duplicate, study, filled, conflicts, repeat=True)
        status = StoreStatus.updated if filled else StoreStatus.unchanged
        return StoreResult(status, study, filled, conflicts)

    def _probable_duplicate(
        self, study: Any, citation: Citation, values: dict[str, Any]
    ) -> StoreResult:
        # Without a shared identifier only an identical record is the same study.
        repeat = self._created_here(study)
        differing = {k: v for k, v in differences(study, values).items() if k not in _DERIVED}
        new_warnings = [w for w in _warnings(citation) if w not in study.warnings]
        if not repeat and not differing and not new_warnings:
            return StoreResult(StoreStatus.unchanged, study)
        return StoreResult(StoreStatus.duplicate, study, conflicts=differing, repeat=repeat)

    def _stage(self, citation: Citation, values: dict[str, Any]) -> StagedStudy:
        values |= {"warnings": _warnings(citation), "import_id": self.import_id}
        study = StagedStudy(values, list(citation.authors))
        self._pending.append(study)
        self._remember(study)
        return study

    def _created_here(self, study: Any) -> bool:
        if isinstance(study, StagedStudy):
            return True  # staged by this store, in this batch or (flushed) an earlier one
        return study.id in self._created

    async def flush(self) -> None:
        """Insert the staged studies, their authors and sources in bulk, index them for
        search, and write any updates to stored studies."""
        pending, self._pending = self._pending, []
        if pending:
            # Core inserts into the tables: the ORM's bulk path costs more per row than
            # SQLite does (bench/README.md, imports). An executemany takes its columns from
            # its first row, so runs of studies with the same columns go together.
            studies = table_of(Study)
            statement = insert(studies).returning(studies.c.id, sort_by_parameter_order=True)
            for _, run in groupby(pending, key=lambda study: study.values.keys()):
                batch = list(run)
                ids = await self.session.scalars(statement, [study.values for study in batch])
                for study, study_id in zip(batch, ids, strict=True):
                    study.id = study_id
            self._created.update(study.id for study in pending)
            authors = [
                {"study_id": s.id, "position": n, "family": a.family, "given": a.given}
                for s in pending
                for n, a in enumerate(s.authors, start=1)
            ]
            if authors:
                await self.session.execute(insert(table_of(StudyAuthor)), authors)
            await self.session.execute(
                insert(table_of(Source)),
                [
                    {
                        "kind": SourceKind.study.value,
                        "study_id": s.id,
                        "title": s.title,
                        "year": s.year,
                    }
                    for s in pending
                ],
            )
            # Bulk inserts pass by the unit of work, and so by its re-indexing hook.
            connection = await self.session.connection()
            await connection.run_sync(reindex, SearchKind.study, {s.id for s in pending})
        await self.session.flush()
        # Forget this batch's studies (an abstract each): a later batch finds them in the
        # database, and `_created` still tells a repeat. Memory stays flat with file size.
        self._by_doi.clear()
        self._by_pmid.clear()
        self._by_title.clear()


async def create_study(session: AsyncSession, citation: Citation, values: dict[str, Any]) -> Study:
    """Store one new study with its source, bypassing matching (the caller checked)."""
    study = Study(**values, warnings=_warnings(citation), authors=study_authors(citation))
    session.add(study)
    await session.flush()
    session.add(
        Source(kind=SourceKind.study, study_id=study.id, title=study.title, year=study.year)
    )
    await session.flush()
    return study
