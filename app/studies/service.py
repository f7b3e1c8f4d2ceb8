"""Study queries: filters, keyset sorting, authors loaded in one query per page."""

from collections import defaultdict
from collections.abc import AsyncIterator, Collection, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, bindparam, exists, func, select, union
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession

from app.citations.normalize import InvalidCitation, normalize_doi, normalize_pmid
from app.errors import InvalidParameter, ResourceNotFound, lost_connection
from app.findings.service import FINDINGS_OF_STUDY, finding_json
from app.links import API, doi_url, pubmed_url, source_href, study_href
from app.lookups import involved_treatment_ids, resolve_condition_id, resolve_treatment_id
from app.models import Finding, SideEffectReport, Source, Study, StudyAuthor, Treatment
from app.models.enums import StudyDesign
from app.pagination import (
    AnyRow,
    PageParams,
    SortKey,
    count_matching,
    cursor_values,
    keyset,
    next_cursor,
)
from app.reads import Query, Reader, SessionReader
from app.search.index import SearchKind
from app.search.service import matching
from app.side_effects.service import REPORTS_OF_STUDY, report_to_read
from app.studies.schemas import (
    FacetCount,
    StudyDetail,
    StudyPage,
    StudyRead,
)

# The study's source by a lookup per row, not a join: PostgreSQL merge-joined the whole
# sources index to reach page 1,000 (13 ms for 51 rows; 0.3 ms as a lookup).
_SOURCE_ID = select(Source.id).where(Source.study_id == Study.id).correlate(Study).scalar_subquery()
_SELECT: Select[Any] = select(
    *(column for column in Study.__table__.c if column.key not in ("title_key", "doi_key")),
    _SOURCE_ID.label("source_id"),
)

SORTS: dict[str, list[SortKey]] = {
    "id": [SortKey(Study.id)],
    "-id": [SortKey(Study.id, descending=True)],
    "year": [SortKey(Study.year, nullable=True), SortKey(Study.id)],
    "-year": [
        SortKey(Study.year, descending=True, nullable=True),
        SortKey(Study.id, descending=True),
    ],
}

EXPANSIONS = frozenset({"findings", "side_effects"})
FACETS = ("design", "year", "evidence_level", "species", "treatment")


@dataclass(frozen=True, slots=True)
class StudyFilters:
    treatment: str | None = None
    condition: str | None = None
    design: StudyDesign | None = None
    year_min: int | None = None
    year_max: int | None = None
    doi: str | None = None
    pmid: str | None = None
    evidence_level: int | None = None
    import_id: int | None = None
    q: str | None = None
    sort: str = "id"


_AUTHORS = select(StudyAuthor.study_id, StudyAuthor.family, StudyAuthor.given)

_STUDY = Query(_SELECT.where(Study.id == bindparam("study_id")))
_AUTHORS_OF_STUDY = Query(
    _AUTHORS.where(StudyAuthor.study_id == bindparam("study_id")).order_by(StudyAuthor.position)
)


def _author(row: Any) -> dict[str, Any]:
    return {"family": row.family, "given": row.given}


async def _authors(
    session: AsyncSession, study_ids: Sequence[int]
) -> dict[int, list[dict[str, Any]]]:
    grouped: dict[int, list[dict[str, Any]]] = defaultdict(list)
    if not study_ids:
        return grouped
    rows = await session.execute(
        _AUTHORS.where(StudyAuthor.study_id.in_(study_ids)).order_by(
            StudyAuthor.study_id, StudyAuthor.position
        )
    )
    for row in rows:
        grouped[row.study_id].append(_author(row))
    return grouped


def study_json(row: Any, authors: list[dict[str, Any]]) -> dict[str, Any]:
    """A study row as ``StudyRead`` serialises it, built without validating: lists of 50
    studies spent a quarter of their time validating what the database already checked.
    tests/test_reads.py holds it to the schema."""
    study_id = row.id
    return {
        "id": study_id,
        "doi": row.doi,
        "pmid": row.pmid,
        "pmcid": row.pmcid,
        "title": row.title,
        "authors": authors,
        "journal": row.journal,
        "year": row.year,
        "volume": row.volume,
        "issue": row.issue,
        "pages": row.pages,
        "url": row.url,
        "abstract": row.abstract,
        "design": row.design,
        "pilot": row.pilot,
        "species": row.species,
        "sample_size": row.sample_size,
        "duration_weeks": row.duration_weeks,
        "blinding": row.blinding,
        "evidence_level": row.evidence_level,
        "retracted": row.retracted,
        "warnings": row.warnings,
        "created_at": row.created_at,
        "updated_at": row.updated_at,
        "links": {
            "self": study_href(study_id),
            "findings": f"{API}/findings?study={study_id}",
            "side_effects": f"{API}/side-effect-reports?study={study_id}",
            "source": source_href(row.source_id) if row.source_id is not None else None,
            "doi": doi_url(row.doi),
            "pubmed": pubmed_url(row.pmid),
        },
    }


def _to_read(row: Any, authors: list[dict[str, Any]]) -> StudyRead:
    return StudyRead.model_validate(study_json(row, authors))


async def _to_reads(session: AsyncSession, rows: Sequence[AnyRow]) -> list[StudyRead]:
    authors = await _authors(session, [row.id for row in rows])
    return [_to_read(row, authors.get(row.id, [])) for row in rows]


def _filter_value(field: str, value: str, parse: Any) -> str:
    try:
        parsed: str | None = parse(value)
    except InvalidCitation as error:
        raise InvalidParameter(field, error.reason) from None
    if parsed is None:
        raise InvalidParameter(field, "must not be empty")
    return parsed


@dataclass(slots=True)
class _Filtered:
    statement: Select[Any]
    bound: dict[str, Any]


def _needs_lookup(filters: StudyFilters) -> bool:
    """Filters resolved by a lookup or a search make a statement of their own."""
    return filters.treatment is not None or filters.condition is not None or filters.q is not None


# Simple filters: a column compared with a named parameter.
_SIMPLE: dict[str, Any] = {
    "design": lambda: Study.design == bindparam("design"),
    "evidence_level": lambda: Study.evidence_level == bindparam("evidence_level"),
    "import_id": lambda: Study.import_id == bindparam("import_id"),
    "year_min": lambda: Study.year >= bindparam("year_min"),
    "year_max": lambda: Study.year <= bindparam("year_max"),
    "doi": lambda: Study.doi_key == bindparam("doi"),
    "pmid": lambda: Study.pmid == bindparam("pmid"),
}


def _simple_values(filters: StudyFilters) -> dict[str, Any]:
    values = {
        "design": filters.design.value if filters.design is not None else None,
        "evidence_level": filters.evidence_level,
        "import_id": filters.import_id,
        "year_min": filters.year_min,
        "year_max": filters.year_max,
        "doi": None,
        "pmid": None,
    }
    if filters.doi is not None:
        values["doi"] = _filter_value("doi", filters.doi, normalize_doi).lower()
    if filters.pmid is not None:
        values["pmid"] = _filter_value("pmid", filters.pmid, normalize_pmid)
    return {name: value for name, value in values.items() if value is not None}


async def _filtered(session: AsyncSession, filters: StudyFilters) -> _Filtered:
    bound = _simple_values(filters)
    statement = _SELECT.where(*(_SIMPLE[name]() for name in bound))
    if filters.treatment is not None:
        treatment_id = await resolve_treatment_id(session, filters.treatment, field="treatment")
        statement = statement.where(
            studies_involving(await involved_treatment_ids(session, treatment_id))
        )
    if filters.condition is not None:
        condition_id = await resolve_condition_id(session, filters.condition, field="condition")
        statement = statement.where(
            exists().where(Finding.study_id == Study.id, Finding.condition_id == condition_id)
        )
    if filters.q is not None:
        statement = statement.where(Study.id.in_(matching(session, SearchKind.study, filters.q)))
    return _Filtered(statement, bound)


def studies_involving(treatment_ids: Collection[int]) -> Any:
    """Studies with a finding or side-effect report about any of these treatments.

    Written as ``id IN (union of the link tables)`` so each engine starts from the
    treatment indexes; a correlated EXISTS per study scanned every study (4 requests/s for
    an evidence summary at 10,000 studies, measured with bench/run.py).
    """
    linked = union(
        select(Finding.study_id).where(Finding.intervention_id.in_(treatment_ids)),
        select(Finding.study_id).where(Finding.comparator_id.in_(treatment_ids)),
        select(SideEffectReport.study_id).where(SideEffectReport.treatment_id.in_(treatment_ids)),
    )
    return Study.id.in_(linked.scalar_subquery())


# Compiled page and author queries, by filter shape, sort and cursor shape.
_PAGES: dict[tuple[Any, ...], tuple[Query, Query]] = {}


def _page_queries(page: Select[Any]) -> tuple[Query, Query]:
    in_page = select(page.subquery().c.id)
    authors = _AUTHORS.where(StudyAuthor.study_id.in_(in_page))
    return Query(page), Query(authors.order_by(StudyAuthor.study_id, StudyAuthor.position))


@dataclass(frozen=True, slots=True)
class StudyPageJson:
    """A page of studies as the API serialises it (``StudyPage``'s shape, built as dicts)."""

    data: list[dict[str, Any]]
    next_cursor: str | None
    total: int | None
    facets: dict[str, list[FacetCount]] | None

    def as_json(self) -> dict[str, Any]:
        page: dict[str, Any] = {"data": self.data, "next_cursor": self.next_cursor}
        if self.total is not None:
            page["total"] = self.total
        if self.facets is not None:
            page["facets"] = {
                name: [count.model_dump() for count in counts]
                for name, counts in self.facets.items()
            }
        return page


async def list_studies(
    session: AsyncSession,
    filters: StudyFilters,
    params: PageParams,
    facets: Sequence[str] = (),
    *,
    reader: Reader | None = None,
) -> StudyPage:
    """A page of studies (validated models, for code that works with them)."""
    page = await list_studies_json(session, filters, params, facets, reader=reader)
    return StudyPage(
        data=[StudyRead.model_validate(study) for study in page.data],
        next_cursor=page.next_cursor,
        total=page.total,
        facets=page.facets,
    )


async def list_studies_json(
    session: AsyncSession,
    filters: StudyFilters,
    params: PageParams,
    facets: Sequence[str] = (),
    *,
    reader: Reader | None = None,
) -> StudyPageJson:
    """A page of studies and their authors, read in one snapshot: through ``reader`` with
    statements compiled once when the filters allow, else through the session."""
    keys = SORTS.get(filters.sort)
    if keys is None:
        raise InvalidParameter("sort", f"choose from {', '.join(SORTS)}")
    simple = _simple_values(filters)
    _, page_values = cursor_values(keys, filters.sort, params)
    # Simple filters differ only in bound values: one compiled statement per combination.
    shape = (tuple(simple), filters.sort, tuple(page_values))
    reusable = reader is not None and not _needs_lookup(filters)
    queries = _PAGES.get(shape) if reusable else None
    filtered: _Filtered | None = None
    if queries is None or params.count or facets:
        filtered = await _filtered(session, filters)
        page, page_values = keyset(filtered.statement, keys, filters.sort, params)
        if reusable:
            queries = _PAGES.setdefault(shape, _page_queries(page))
        else:
            reader, queries = SessionReader(session), _page_queries(page)
    assert reader is not None and queries is not None
    values = simple | page_values
    try:
        rows, authors = await reader.batch((queries[0], values), (queries[1], values))
    except DBAPIError as error:  # only a search query can be unreadable to the engine
        if lost_connection(error):  # the database is away, not the query wrong
            raise
        raise InvalidParameter("q", "the search engine cannot read this query") from error
    shown, cursor = next_cursor(rows, keys, params, filters.sort)
    grouped: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for author in authors:
        grouped[author.study_id].append(_author(author))
    return StudyPageJson(
        data=[study_json(row, grouped.get(row.id, [])) for row in shown],
        next_cursor=cursor,
        total=await count_matching(session, filtered.statement, filtered.bound)
        if filtered is not None and params.count
        else None,
        facets=await _facets(session, filtered, facets)
        if filtered is not None and facets
        else None,
    )


async def _facets(
    session: AsyncSession, filtered: _Filtered, names: Sequence[str]
) -> dict[str, list[FacetCount]]:
    """Counts over the whole filtered set, each in one GROUP BY."""
    statement = filtered.statement.params(filtered.bound)
    matching = statement.order_by(None).with_only_columns(Study.id).subquery()
    counted: dict[str, list[FacetCount]] = {}
    for name in names:
        if name == "treatment":
            counted[name] = await _treatment_facet(session, matching)
            continue
        column = getattr(Study, name)
        rows = await session.execute(
            select(column, func.count())
            .join(matching, matching.c.id == Study.id)
            .group_by(column)
            .order_by(func.count().desc(), column)
        )
        counted[name] = [FacetCount(value=value, count=count) for value, count in rows]
    return counted


async def _treatment_facet(session: AsyncSession, matching: Any) -> list[FacetCount]:
    """Studies per treatment they have a finding (either arm) or a side-effect report about."""
    links = union(
        select(Finding.study_id.label("study_id"), Finding.intervention_id.label("treatment_id")),
        select(Finding.study_id, Finding.comparator_id).where(Finding.comparator_id.is_not(None)),
        select(SideEffectReport.study_id, SideEffectReport.treatment_id),
    ).subquery()
    studies = func.count(func.distinct(links.c.study_id))
    rows = await session.execute(
        select(Treatment.slug, Treatment.name, studies)
        .join(links, links.c.treatment_id == Treatment.id)
        .join(matching, matching.c.id == links.c.study_id)
        .group_by(Treatment.slug, Treatment.name)
        .order_by(studies.desc(), Treatment.slug)
    )
    return [FacetCount(value=slug, label=name, count=count) for slug, name, count in rows]


async def get_study_json(
    reader: Reader, study_id: int, expand: frozenset[str] = frozenset()
) -> dict[str, Any]:
    """One study and what ``expand`` names, read in one snapshot, as ``StudyDetail``
    serialises it."""
    queries = [(_STUDY, {"study_id": study_id}), (_AUTHORS_OF_STUDY, {"study_id": study_id})]
    if "findings" in expand:
        queries.append((FINDINGS_OF_STUDY, {"study_id": study_id}))
    if "side_effects" in expand:
        queries.append((REPORTS_OF_STUDY, {"study_id": study_id}))
    rows, authors, *expanded = await reader.batch(*queries)
    if not rows:
        raise ResourceNotFound(f"no study has the id {study_id}")
    study = study_json(rows[0], [_author(author) for author in authors])
    if "findings" in expand:
        study["findings"] = [finding_json(row) for row in expanded.pop(0)]
    if "side_effects" in expand:
        study["side_effects"] = [
            report_to_read(row).model_dump(mode="json") for row in expanded.pop(0)
        ]
    return study


async def get_study(
    reader: Reader, study_id: int, expand: frozenset[str] = frozenset()
) -> StudyDetail:
    """The same study as a validated model, for code that works with it."""
    return StudyDetail.model_validate(await get_study_json(reader, study_id, expand))


async def every_study(
    session: AsyncSession, filters: StudyFilters, batch: int = 500
) -> AsyncIterator[StudyRead]:
    """All matching studies, one keyset page at a time, for exports that stream."""
    cursor = None
    while True:
        page = await list_studies(
            session, filters, PageParams(limit=batch, cursor=cursor, count=False)
        )
        for study in page.data:
            yield study
        if page.next_cursor is None:
            return
        cursor = page.next_cursor


async def studies_by_ids(session: AsyncSession, ids: Sequence[int]) -> list[StudyRead]:
    """Several studies in two queries (theirs and their authors'), in id order."""
    rows = (await session.execute(_SELECT.where(Study.id.in_(ids)).order_by(Study.id))).all()
    return await _to_reads(session, rows)
