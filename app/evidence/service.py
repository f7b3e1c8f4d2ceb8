"""The evidence behind a treatment, aggregated in SQL: counts, levels, harms, comparators."""

from collections import Counter
from collections.abc import Sequence
from typing import Any, NamedTuple

from sqlalchemy import and_, func, or_, select, union
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from app.cautions.service import list_cautions
from app.errors import InvalidParameter
from app.evidence.schemas import (
    ComparatorOverview,
    Comparison,
    Count,
    EvidenceGlance,
    EvidenceSummary,
    FindingOverview,
    SideEffectOverview,
    StudyOverview,
)
from app.findings.schemas import FindingRead
from app.findings.service import findings_where
from app.links import API, SideEffectRef, SourceRef, StudyRef, TreatmentRef, treatment_href
from app.lookups import involved_treatment_ids, resolve_treatment_id
from app.models import (
    Finding,
    SideEffect,
    SideEffectReport,
    Source,
    Study,
    Treatment,
    TreatmentComponent,
)
from app.pagination import PageParams
from app.studies.schemas import StudyRead
from app.studies.service import studies_by_ids, studies_involving

_Comparator = aliased(Treatment, name="comparator")
_ALL = PageParams(limit=500, cursor=None, count=False)


def _counts(rows: Sequence[Any]) -> list[Count]:
    return [Count(value=value, count=count) for value, count in rows]


async def _grouped(session: AsyncSession, column: Any, where: Any, count: Any) -> list[Count]:
    rows = await session.execute(
        select(column, func.count(count)).where(where).group_by(column).order_by(column)
    )
    return _counts(rows.all())


async def _studies(session: AsyncSession, ids: list[int]) -> StudyOverview:
    involved = studies_involving(ids)
    totals = (
        await session.execute(
            select(
                func.count(Study.id),
                func.sum(Study.sample_size),
                func.count(Study.sample_size),
                func.min(Study.evidence_level),
            ).where(involved)
        )
    ).one()
    strongest_level = totals[3]
    strongest: list[StudyRef] = []
    if strongest_level is not None:
        rows = await session.execute(
            select(Study.id, Study.title, Study.year)
            .where(involved, Study.evidence_level == strongest_level)
            .order_by(Study.year.desc().nulls_last(), Study.id)
            .limit(20)
        )
        strongest = [StudyRef.of(*row) for row in rows]
    return StudyOverview(
        total=totals[0],
        by_design=await _grouped(session, Study.design, involved, Study.id),
        by_species=await _grouped(session, Study.species, involved, Study.id),
        participants=totals[1],
        studies_with_sample_size=totals[2],
        strongest_evidence_level=strongest_level,
        strongest=strongest,
    )


async def _findings(session: AsyncSession, ids: list[int]) -> FindingOverview:
    where = Finding.intervention_id.in_(ids)
    total = await session.scalar(select(func.count(Finding.id)).where(where))
    return FindingOverview(
        total=total or 0,
        by_kind=await _grouped(session, Finding.kind, where, Finding.id),
        by_direction=await _grouped(session, Finding.direction, where, Finding.id),
        by_certainty=await _grouped(session, Finding.certainty, where, Finding.id),
    )


async def _side_effects(session: AsyncSession, ids: list[int]) -> list[SideEffectOverview]:
    rows = await session.execute(
        select(
            SideEffect.slug,
            SideEffect.name,
            SideEffectReport.frequency,
            Study.id,
            Study.title,
            Study.year,
            Source.id,
            Source.kind,
            Source.title,
        )  # fmt: skip
        .join(SideEffect, SideEffectReport.side_effect_id == SideEffect.id)
        .join(Source, SideEffectReport.source_id == Source.id)
        .outerjoin(Study, SideEffectReport.study_id == Study.id)
        .where(SideEffectReport.treatment_id.in_(ids))
        .order_by(SideEffect.slug, SideEffectReport.id)
    )
    grouped: dict[str, dict[str, Any]] = {}
    for slug, name, frequency, study_id, title, year, source_id, kind, source_title in rows:
        entry = grouped.setdefault(
            slug,
            {"ref": SideEffectRef.of(slug, name), "n": 0, "freq": [], "studies": {}, "sources": {}},
        )
        entry["n"] += 1
        if frequency and frequency not in entry["freq"]:
            entry["freq"].append(frequency)
        if study_id is not None:
            entry["studies"][study_id] = StudyRef.of(study_id, title, year)
        entry["sources"][source_id] = SourceRef.of(source_id, kind, source_title)
    return [
        SideEffectOverview(
            side_effect=entry["ref"],
            reports=entry["n"],
            frequencies=entry["freq"],
            studies=list(entry["studies"].values()),
            sources=list(entry["sources"].values()),
        )
        for entry in grouped.values()
    ]


async def _comparators(session: AsyncSession, ids: list[int]) -> list[ComparatorOverview]:
    rows = await session.execute(
        select(Finding.comparator_type, _Comparator.slug, _Comparator.name, func.count(Finding.id))
        .outerjoin(_Comparator, Finding.comparator_id == _Comparator.id)
        .where(Finding.intervention_id.in_(ids))
        .group_by(Finding.comparator_type, _Comparator.slug, _Comparator.name)
        .order_by(func.count(Finding.id).desc(), _Comparator.slug)
    )
    return [
        ComparatorOverview(
            comparator_type=kind,
            comparator=TreatmentRef.of(slug, name) if slug else None,
            findings=count,
        )
        for kind, slug, name, count in rows
    ]


async def evidence_summary(session: AsyncSession, slug: str) -> EvidenceSummary:
    treatment_id = await resolve_treatment_id(session, slug, field=None)
    ids = await involved_treatment_ids(session, treatment_id)
    names = dict(
        (row.id, (row.slug, row.name))
        for row in await session.execute(
            select(Treatment.id, Treatment.slug, Treatment.name).where(Treatment.id.in_(ids))
        )
    )
    href = treatment_href(slug)
    return EvidenceSummary(
        treatment=TreatmentRef.of(*names[treatment_id]),
        includes=[TreatmentRef.of(*names[i]) for i in ids if i != treatment_id],
        studies=await _studies(session, ids),
        findings=await _findings(session, ids),
        side_effects=await _side_effects(session, ids),
        cautions=(await list_cautions(session, _ALL, treatment=slug, field=None)).data,
        comparators=await _comparators(session, ids),
        links={
            "treatment": href,
            "studies": f"{href}/studies",
            "findings": f"{href}/findings",
            "side_effects": f"{href}/side-effects",
            "cautions": f"{href}/cautions",
            "meta_analysis": f"{API}/meta-analysis?intervention={slug}",
        },
    )


async def evidence_glances(session: AsyncSession, slugs: Sequence[str]) -> list[EvidenceGlance]:
    """Each treatment's studies overview (as in ``evidence_summary``) and its number of
    distinct side effects, from one pass over the studies of all of them, folded here: one
    treatment at a time took seven queries each (0.85 s for a page of 20 at 100,000
    studies), and so did the same aggregates in SQL for all of them at once."""
    found = dict(
        (row.slug, row.id)
        for row in await session.execute(
            select(Treatment.slug, Treatment.id).where(Treatment.slug.in_(slugs))
        )
    )
    # One lookup for all; an unknown slug still gets the usual not-found problem.
    ids = [
        found.get(slug) or await resolve_treatment_id(session, slug, field=None) for slug in slugs
    ]
    involved = {treatment_id: {treatment_id} for treatment_id in ids}
    for component, combination in await session.execute(
        select(TreatmentComponent.component_id, TreatmentComponent.combination_id).where(
            TreatmentComponent.component_id.in_(ids)
        )
    ):
        involved[component].add(combination)
    every = sorted(set().union(*involved.values()))
    links = union(
        select(Finding.intervention_id.label("treatment"), Finding.study_id.label("study")).where(
            Finding.intervention_id.in_(every)
        ),
        select(Finding.comparator_id, Finding.study_id).where(Finding.comparator_id.in_(every)),
        select(SideEffectReport.treatment_id, SideEffectReport.study_id).where(
            SideEffectReport.treatment_id.in_(every)
        ),
    ).subquery("links")
    studies_of: dict[int, list[_Glimpse]] = {t: [] for t in every}
    for treatment, *glimpse in await session.execute(
        select(
            links.c.treatment,
            Study.id,
            Study.design,
            Study.species,
            Study.sample_size,
            Study.evidence_level,
            Study.year,
        ).join(Study, Study.id == links.c.study)
    ):
        studies_of[treatment].append(_Glimpse(*glimpse))
    harms: dict[int, set[int]] = {t: set() for t in every}
    for treatment, side_effect in await session.execute(
        select(SideEffectReport.treatment_id, SideEffectReport.side_effect_id)
        .where(SideEffectReport.treatment_id.in_(every))
        .distinct()
    ):
        harms[treatment].add(side_effect)
    nulls_first = session.get_bind().dialect.name == "sqlite"  # as each engine's ORDER BY
    glances = []
    for treatment_id in ids:
        members = involved[treatment_id]
        studies = {g.id: g for t in members for g in studies_of[t]}.values()
        glances.append(
            EvidenceGlance(
                studies=_overview(list(studies), nulls_first),
                side_effects=len(set().union(*(harms[t] for t in members))),
            )
        )
    # Titles only for the few studies shown: fetched with every row, they doubled the time.
    shown = {ref.id for glance in glances for ref in glance.studies.strongest}
    titles = dict(
        (row.id, row.title)
        for row in await session.execute(select(Study.id, Study.title).where(Study.id.in_(shown)))
    )
    for glance in glances:
        for ref in glance.studies.strongest:
            ref.title = titles[ref.id]
    return glances


class _Glimpse(NamedTuple):
    id: int
    design: str | None
    species: str | None
    sample_size: int | None
    evidence_level: int | None
    year: int | None


def _overview(studies: list[_Glimpse], nulls_first: bool) -> StudyOverview:
    """What ``_studies`` computes in SQL, from the studies' rows."""

    def groups(values: list[str | None]) -> list[Count]:
        counted = Counter(values)
        order = sorted(counted, key=lambda v: (v is not None, v or "") if nulls_first else (
            v is None, v or ""
        ))  # fmt: skip
        return [Count(value=value, count=counted[value]) for value in order]

    sizes = [s.sample_size for s in studies if s.sample_size is not None]
    levels = [s.evidence_level for s in studies if s.evidence_level is not None]
    level = min(levels) if levels else None
    strongest = sorted(
        (s for s in studies if level is not None and s.evidence_level == level),
        key=lambda s: (s.year is None, -(s.year or 0), s.id),
    )[:20]
    return StudyOverview(
        total=len(studies),
        by_design=groups([s.design for s in studies]),
        by_species=groups([s.species for s in studies]),
        participants=sum(sizes) if sizes else None,
        studies_with_sample_size=len(sizes),
        strongest_evidence_level=level,
        strongest=[StudyRef.of(s.id, "", s.year) for s in strongest],  # titles come later
    )


async def compare(session: AsyncSession, slugs: list[str]) -> Comparison:
    if not 2 <= len(slugs) <= 3 or len(set(slugs)) != len(slugs):
        raise InvalidParameter("treatments", "name two or three different treatment slugs")
    involved: dict[str, list[int]] = {}
    for slug in slugs:
        treatment_id = await resolve_treatment_id(session, slug, field="treatments")
        involved[slug] = await involved_treatment_ids(session, treatment_id)
    summaries = [await evidence_summary(session, slug) for slug in slugs]
    pairs = [
        and_(Finding.intervention_id.in_(involved[a]), Finding.comparator_id.in_(involved[b]))
        for a in slugs
        for b in slugs
        if a != b
    ]
    direct = await findings_where(session, or_(*pairs))
    return Comparison(treatments=summaries, direct=direct)


async def evidence_records(
    session: AsyncSession, slug: str
) -> tuple[list[FindingRead], list[StudyRead]]:
    """A treatment's findings and the studies behind them, for a FHIR Bundle."""
    treatment_id = await resolve_treatment_id(session, slug, field=None)
    ids = await involved_treatment_ids(session, treatment_id)
    findings = await findings_where(session, Finding.intervention_id.in_(ids))
    study_ids = sorted({f.study.id for f in findings if f.study is not None})
    return findings, await studies_by_ids(session, study_ids)
