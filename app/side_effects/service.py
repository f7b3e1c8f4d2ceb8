"""Side-effect queries: side effects, and the reports linking them to treatments and studies."""

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, bindparam, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.errors import ResourceNotFound
from app.links import (
    API,
    SideEffectRef,
    SourceRef,
    StudyRef,
    TreatmentRef,
    side_effect_href,
    source_href,
    study_href,
    treatment_href,
)
from app.lookups import (
    check_study_id,
    involved_treatment_ids,
    resolve_side_effect_id,
    resolve_treatment_id,
)
from app.models import SideEffect, SideEffectReport, Source, Study, Treatment
from app.pagination import AnyRow, Page, PageParams, SortKey, fetch_page
from app.reads import Query
from app.side_effects.schemas import (
    ReportLinks,
    SideEffectDetail,
    SideEffectLinks,
    SideEffectRead,
    SideEffectReportRead,
)

_REPORTS = (
    select(
        *SideEffectReport.__table__.c,
        SideEffect.slug.label("side_effect_slug"),
        SideEffect.name.label("side_effect_name"),
        Treatment.slug.label("treatment_slug"),
        Treatment.name.label("treatment_name"),
        Study.title.label("study_title"),
        Study.year.label("study_year"),
        Source.kind.label("source_kind"),
        Source.title.label("source_title"),
    )
    .join(SideEffect, SideEffectReport.side_effect_id == SideEffect.id)
    .join(Treatment, SideEffectReport.treatment_id == Treatment.id)
    .outerjoin(Study, SideEffectReport.study_id == Study.id)
    .join(Source, SideEffectReport.source_id == Source.id)
)

REPORTS_OF_STUDY = Query(
    _REPORTS.where(SideEffectReport.study_id == bindparam("study_id")).order_by(SideEffectReport.id)
)


def report_to_read(row: AnyRow) -> SideEffectReportRead:
    study = (
        StudyRef.of(row.study_id, row.study_title, row.study_year)
        if row.study_id is not None
        else None
    )
    return SideEffectReportRead(
        id=row.id,
        side_effect=SideEffectRef.of(row.side_effect_slug, row.side_effect_name),
        treatment=TreatmentRef.of(row.treatment_slug, row.treatment_name),
        study=study,
        source=SourceRef.of(row.source_id, row.source_kind, row.source_title),
        frequency=row.frequency,
        incidence=row.incidence,
        severity=row.severity,
        quote=row.quote,
        links=ReportLinks(
            self=f"{API}/side-effect-reports/{row.id}",
            side_effect=side_effect_href(row.side_effect_slug),
            treatment=treatment_href(row.treatment_slug),
            study=study_href(row.study_id) if row.study_id is not None else None,
            source=source_href(row.source_id),
        ),
    )


@dataclass(frozen=True, slots=True)
class SideEffectFilters:
    treatment: str | None = None


async def _treatments_by_side_effect(
    session: AsyncSession, side_effect_ids: Sequence[int]
) -> dict[int, list[TreatmentRef]]:
    rows = await session.execute(
        select(SideEffectReport.side_effect_id, Treatment.slug, Treatment.name)
        .join(Treatment, SideEffectReport.treatment_id == Treatment.id)
        .where(SideEffectReport.side_effect_id.in_(side_effect_ids))
        .distinct()
        .order_by(SideEffectReport.side_effect_id, Treatment.slug)
    )
    grouped: dict[int, list[TreatmentRef]] = defaultdict(list)
    for side_effect_id, slug, name in rows:
        grouped[side_effect_id].append(TreatmentRef.of(slug, name))
    return grouped


def _report_count() -> Any:
    return (
        select(func.count(SideEffectReport.id))
        .where(SideEffectReport.side_effect_id == SideEffect.id)
        .scalar_subquery()
        .label("report_count")
    )


async def _to_reads(session: AsyncSession, rows: Sequence[AnyRow]) -> list[SideEffectRead]:
    treatments = await _treatments_by_side_effect(session, [row.id for row in rows])
    return [
        SideEffectRead(
            slug=row.slug,
            name=row.name,
            description=row.description,
            treatments=treatments.get(row.id, []),
            report_count=row.report_count,
            links=SideEffectLinks(
                self=side_effect_href(row.slug),
                reports=f"{API}/side-effect-reports?side_effect={row.slug}",
            ),
        )
        for row in rows
    ]


_SELECT: Select[Any] = select(*SideEffect.__table__.c, _report_count())


async def list_side_effects(
    session: AsyncSession, filters: SideEffectFilters, params: PageParams
) -> Page[SideEffectRead]:
    statement = _SELECT
    if filters.treatment is not None:
        treatment_id = await resolve_treatment_id(session, filters.treatment, field="treatment")
        reported = select(SideEffectReport.side_effect_id).where(
            SideEffectReport.treatment_id.in_(await involved_treatment_ids(session, treatment_id))
        )
        statement = statement.where(SideEffect.id.in_(reported))
    page = await fetch_page(session, statement, [SortKey(SideEffect.slug)], params, sort="slug")
    return Page(
        data=await _to_reads(session, page.rows), next_cursor=page.next_cursor, total=page.total
    )


async def get_side_effect(session: AsyncSession, slug: str) -> SideEffectDetail:
    row = (await session.execute(_SELECT.where(SideEffect.slug == slug))).first()
    if row is None:
        raise ResourceNotFound(f"no side effect has the slug {slug!r}")
    (base,) = await _to_reads(session, [row])
    report_rows = await session.execute(
        _REPORTS.where(SideEffectReport.side_effect_id == row.id).order_by(SideEffectReport.id)
    )
    reports = [report_to_read(report) for report in report_rows]
    studies = {report.study.id: report.study for report in reports if report.study is not None}
    return SideEffectDetail(
        **base.model_dump(),
        studies=sorted(studies.values(), key=lambda study: study.id),
        reports=reports,
    )


@dataclass(frozen=True, slots=True)
class ReportFilters:
    side_effect: str | None = None
    treatment: str | None = None
    study: int | None = None


async def list_reports(
    session: AsyncSession, filters: ReportFilters, params: PageParams
) -> Page[SideEffectReportRead]:
    statement = _REPORTS
    if filters.side_effect is not None:
        side_effect_id = await resolve_side_effect_id(
            session, filters.side_effect, field="side_effect"
        )
        statement = statement.where(SideEffectReport.side_effect_id == side_effect_id)
    if filters.treatment is not None:
        treatment_id = await resolve_treatment_id(session, filters.treatment, field="treatment")
        ids = await involved_treatment_ids(session, treatment_id)
        statement = statement.where(SideEffectReport.treatment_id.in_(ids))
    if filters.study is not None:
        await check_study_id(session, filters.study, field="study")
        statement = statement.where(SideEffectReport.study_id == filters.study)
    page = await fetch_page(session, statement, [SortKey(SideEffectReport.id)], params)
    return Page(
        data=[report_to_read(row) for row in page.rows],
        next_cursor=page.next_cursor,
        total=page.total,
    )


async def get_report(session: AsyncSession, report_id: int) -> SideEffectReportRead:
    row = (await session.execute(_REPORTS.where(SideEffectReport.id == report_id))).first()
    if row is None:
        raise ResourceNotFound(f"no side-effect report has the id {report_id}")
    return report_to_read(row)
