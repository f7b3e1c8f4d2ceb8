"""Condition queries."""

from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.conditions.schemas import ConditionDetail, ConditionLinks, ConditionRead
from app.errors import ResourceNotFound
from app.findings.service import FindingFilters, list_findings
from app.links import API, condition_href
from app.models import Condition
from app.pagination import FIRST_PAGE, AnyRow, Page, PageParams, SortKey, fetch_page
from app.studies.service import StudyFilters, list_studies

EXPANSIONS = frozenset({"findings", "studies"})

_SELECT: Select[Any] = select(*Condition.__table__.c)


def to_read(row: AnyRow) -> ConditionRead:
    return ConditionRead(
        slug=row.slug,
        name=row.name,
        description=row.description,
        synonyms=row.synonyms,
        links=ConditionLinks(
            self=condition_href(row.slug),
            findings=f"{API}/findings?condition={row.slug}",
            studies=f"{API}/studies?condition={row.slug}",
        ),
    )


async def list_conditions(session: AsyncSession, params: PageParams) -> Page[ConditionRead]:
    page = await fetch_page(session, _SELECT, [SortKey(Condition.slug)], params, sort="slug")
    return Page(
        data=[to_read(row) for row in page.rows], next_cursor=page.next_cursor, total=page.total
    )


async def get_condition(
    session: AsyncSession,
    slug: str,
    expand: frozenset[str] = frozenset(),
    first_page: PageParams = FIRST_PAGE,
) -> ConditionDetail:
    row = (await session.execute(_SELECT.where(Condition.slug == slug))).first()
    if row is None:
        raise ResourceNotFound(f"no condition has the slug {slug!r}")
    detail = ConditionDetail.model_construct(**dict(to_read(row)))
    if "findings" in expand:
        detail.findings = (
            await list_findings(session, FindingFilters(condition=slug), first_page)
        ).data
    if "studies" in expand:
        detail.studies = (
            await list_studies(session, StudyFilters(condition=slug), first_page)
        ).data
    return detail
