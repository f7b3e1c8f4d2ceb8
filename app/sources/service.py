"""Source queries."""

from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.errors import ResourceNotFound
from app.links import API, StudyRef, source_href, study_href
from app.models import Finding, Source, Study
from app.models.enums import SourceKind
from app.pagination import AnyRow, Page, PageParams, SortKey, fetch_page
from app.sources.schemas import SourceLinks, SourceRead

_SELECT: Select[Any] = select(
    *Source.__table__.c,
    Study.title.label("study_title"),
    Study.year.label("study_year"),
    select(func.count(Finding.id))
    .where(Finding.source_id == Source.id)
    .scalar_subquery()
    .label("finding_count"),
).outerjoin(Study, Source.study_id == Study.id)


def to_read(row: AnyRow) -> SourceRead:
    study = (
        StudyRef.of(row.study_id, row.study_title, row.study_year)
        if row.study_id is not None
        else None
    )
    return SourceRead(
        id=row.id,
        kind=row.kind,
        key=row.key,
        title=row.title,
        publisher=row.publisher,
        year=row.year,
        url=row.url,
        study=study,
        finding_count=row.finding_count,
        links=SourceLinks(
            self=source_href(row.id),
            study=study_href(row.study_id) if row.study_id is not None else None,
            findings=f"{API}/findings?source={row.id}",
        ),
    )


async def list_sources(
    session: AsyncSession, params: PageParams, *, kind: SourceKind | None = None
) -> Page[SourceRead]:
    statement = _SELECT
    if kind is not None:
        statement = statement.where(Source.kind == kind.value)
    page = await fetch_page(session, statement, [SortKey(Source.id)], params)
    return Page(
        data=[to_read(row) for row in page.rows], next_cursor=page.next_cursor, total=page.total
    )


async def get_source(session: AsyncSession, source_id: int) -> SourceRead:
    row = (await session.execute(_SELECT.where(Source.id == source_id))).first()
    if row is None:
        raise ResourceNotFound(f"no source has the id {source_id}")
    return to_read(row)
