"""Treatment queries: aliases, components and combinations loaded in one query each per page."""

from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Select, bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from app.cautions.service import list_cautions
from app.errors import ResourceNotFound
from app.findings.service import FindingFilters, list_findings
from app.links import TreatmentRef, treatment_href
from app.models import Treatment, TreatmentAlias, TreatmentComponent
from app.models.enums import TreatmentKind
from app.pagination import FIRST_PAGE, AnyRow, Page, PageParams, SortKey, fetch_page
from app.reads import Query, Reader
from app.side_effects.service import ReportFilters, list_reports
from app.studies.service import StudyFilters, list_studies
from app.treatments.schemas import TreatmentDetail, TreatmentLinks, TreatmentRead

EXPANSIONS = frozenset({"studies", "findings", "side_effects", "cautions"})

_SELECT: Select[Any] = select(*Treatment.__table__.c)
_Other = aliased(Treatment, name="other")

# One treatment by slug: itself, its aliases, its components, the combinations it is part of.
_BY_SLUG = Treatment.slug == bindparam("slug")
_TREATMENT = Query(_SELECT.where(_BY_SLUG))
_ALIASES = Query(
    select(TreatmentAlias.alias)
    .join(Treatment, Treatment.id == TreatmentAlias.treatment_id)
    .where(_BY_SLUG)
    .order_by(TreatmentAlias.alias)
)
_COMPONENTS, _PART_OF = (
    Query(
        select(_Other.slug, _Other.name)
        .join(TreatmentComponent, _Other.id == theirs)
        .join(Treatment, Treatment.id == mine)
        .where(_BY_SLUG)
        .order_by(_Other.slug)
    )
    for mine, theirs in (
        (TreatmentComponent.combination_id, TreatmentComponent.component_id),
        (TreatmentComponent.component_id, TreatmentComponent.combination_id),
    )
)


async def _aliases(session: AsyncSession, ids: Sequence[int]) -> dict[int, list[str]]:
    grouped: dict[int, list[str]] = defaultdict(list)
    rows = await session.execute(
        select(TreatmentAlias.treatment_id, TreatmentAlias.alias)
        .where(TreatmentAlias.treatment_id.in_(ids))
        .order_by(TreatmentAlias.alias)
    )
    for treatment_id, alias in rows:
        grouped[treatment_id].append(alias)
    return grouped


async def _linked(
    session: AsyncSession, ids: Sequence[int], *, components: bool
) -> dict[int, list[TreatmentRef]]:
    """Components of combinations (``components=True``) or combinations of components."""
    mine, theirs = (
        (TreatmentComponent.combination_id, TreatmentComponent.component_id)
        if components
        else (TreatmentComponent.component_id, TreatmentComponent.combination_id)
    )
    rows = await session.execute(
        select(mine, _Other.slug, _Other.name)
        .join(_Other, _Other.id == theirs)
        .where(mine.in_(ids))
        .order_by(mine, _Other.slug)
    )
    grouped: dict[int, list[TreatmentRef]] = defaultdict(list)
    for treatment_id, slug, name in rows:
        grouped[treatment_id].append(TreatmentRef.of(slug, name))
    return grouped


def _to_read(
    row: Any, aliases: list[str], components: list[TreatmentRef], part_of: list[TreatmentRef]
) -> TreatmentRead:
    href = treatment_href(row.slug)
    return TreatmentRead(
        slug=row.slug,
        name=row.name,
        kind=row.kind,
        description=row.description,
        mechanism=row.mechanism,
        setting=row.setting,
        aliases=aliases,
        components=components,
        part_of=part_of,
        links=TreatmentLinks(
            self=href,
            studies=f"{href}/studies",
            findings=f"{href}/findings",
            side_effects=f"{href}/side-effects",
            cautions=f"{href}/cautions",
        ),
    )


async def _to_reads(session: AsyncSession, rows: Sequence[AnyRow]) -> list[TreatmentRead]:
    ids = [row.id for row in rows]
    aliases = await _aliases(session, ids)
    components = await _linked(session, ids, components=True)
    part_of = await _linked(session, ids, components=False)
    return [
        _to_read(row, aliases.get(row.id, []), components.get(row.id, []), part_of.get(row.id, []))
        for row in rows
    ]


async def list_treatments(
    session: AsyncSession, params: PageParams, *, kind: TreatmentKind | None = None
) -> Page[TreatmentRead]:
    statement = _SELECT
    if kind is not None:
        statement = statement.where(Treatment.kind == kind.value)
    page = await fetch_page(session, statement, [SortKey(Treatment.slug)], params, sort="slug")
    return Page(
        data=await _to_reads(session, page.rows), next_cursor=page.next_cursor, total=page.total
    )


async def get_treatment(reader: Reader, slug: str) -> TreatmentDetail:
    """One treatment with its aliases, components and combinations, in one snapshot."""
    given = {"slug": slug}
    rows, aliases, components, part_of = await reader.batch(
        (_TREATMENT, given), (_ALIASES, given), (_COMPONENTS, given), (_PART_OF, given)
    )
    if not rows:
        raise ResourceNotFound(f"no treatment has the slug {slug!r}")
    refs = [
        [TreatmentRef.of(row.slug, row.name) for row in linked] for linked in (components, part_of)
    ]
    treatment = _to_read(rows[0], [row.alias for row in aliases], *refs)
    return TreatmentDetail.model_construct(**dict(treatment))


async def expand(
    session: AsyncSession,
    detail: TreatmentDetail,
    expand: frozenset[str],
    first_page: PageParams = FIRST_PAGE,
) -> TreatmentDetail:
    """Embed the first page of each related list ``expand`` names."""
    slug, page = detail.slug, first_page
    if "studies" in expand:
        detail.studies = (await list_studies(session, StudyFilters(treatment=slug), page)).data
    if "findings" in expand:
        detail.findings = (await list_findings(session, FindingFilters(treatment=slug), page)).data
    if "side_effects" in expand:
        reports = await list_reports(session, ReportFilters(treatment=slug), page)
        detail.side_effects = reports.data
    if "cautions" in expand:
        detail.cautions = (await list_cautions(session, page, treatment=slug)).data
    return detail
