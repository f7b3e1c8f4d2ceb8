"""Treatment queries: aliases, components and combinations loaded in one query each per page."""

from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from app.cautions.service import list_cautions
from app.errors import ResourceNotFound
from app.findings.service import FindingFilters, list_findings
from app.links import TreatmentRef, treatment_href
from app.models import Treatment, TreatmentAlias, TreatmentComponent
from app.models.enums import TreatmentKind
from app.pagination import FIRST_PAGE, AnyRow, Page, PageParams, SortKey, fetch_page
from app.side_effects.service import ReportFilters, list_reports
from app.studies.service import StudyFilters, list_studies
from app.treatments.schemas import TreatmentDetail, TreatmentLinks, TreatmentRead

EXPANSIONS = frozenset({"studies", "findings", "side_effects", "cautions"})

_SELECT: Select[Any] = select(*Treatment.__table__.c)
_Other = aliased(Treatment, name="other")


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


async def _to_reads(session: AsyncSession, rows: Sequence[AnyRow]) -> list[TreatmentRead]:
    ids = [row.id for row in rows]
    aliases = await _aliases(session, ids)
    components = await _linked(session, ids, components=True)
    part_of = await _linked(session, ids, components=False)
    reads = []
    for row in rows:
        href = treatment_href(row.slug)
        reads.append(
            TreatmentRead(
                slug=row.slug,
                name=row.name,
                kind=row.kind,
                description=row.description,
                mechanism=row.mechanism,
                setting=row.setting,
                aliases=aliases.get(row.id, []),
                components=components.get(row.id, []),
                part_of=part_of.get(row.id, []),
                links=TreatmentLinks(
                    self=href,
                    studies=f"{href}/studies",
                    findings=f"{href}/findings",
                    side_effects=f"{href}/side-effects",
                    cautions=f"{href}/cautions",
                ),
            )
        )
    return reads


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


async def get_treatment(
    session: AsyncSession,
    slug: str,
    expand: frozenset[str] = frozenset(),
    first_page: PageParams = FIRST_PAGE,
) -> TreatmentDetail:
    row = (await session.execute(_SELECT.where(Treatment.slug == slug))).first()
    if row is None:
        raise ResourceNotFound(f"no treatment has the slug {slug!r}")
    (treatment,) = await _to_reads(session, [row])
    detail = TreatmentDetail.model_construct(**dict(treatment))
    page = first_page
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
