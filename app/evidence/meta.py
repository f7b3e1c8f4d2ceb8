"""Meta-analysis over stored findings: pick the matching ones, label them, pool them."""

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.errors import ProblemError
from app.lookups import resolve_treatment_id
from app.models import Finding, Study, StudyAuthor
from app.models.enums import ComparatorType, EffectMeasure
from app.synthesis import FindingData, MetaAnalysis, SynthesisError, effect_sizes, meta_analyse


class CannotPool(ProblemError):
    status = 422
    title = "Cannot pool these findings"


def _label(family: str | None, authors: int, year: int | None, finding_id: int) -> str:
    if family is None:
        return f"Finding {finding_id}"
    who = family + (" et al" if authors > 1 else "")
    return f"{who} {year}" if year else who


async def pool(
    session: AsyncSession,
    intervention: str,
    comparator: str | None,
    outcome: str | None,
    measure: EffectMeasure | None,
) -> MetaAnalysis:
    intervention_id = await resolve_treatment_id(session, intervention, field="intervention")
    where: list[Any] = [Finding.intervention_id == intervention_id]
    if comparator in (ComparatorType.placebo, ComparatorType.none):
        where.append(Finding.comparator_type == comparator)
    elif comparator is not None:
        comparator_id = await resolve_treatment_id(session, comparator, field="comparator")
        where.append(Finding.comparator_id == comparator_id)
    if outcome is not None:
        where.append(func.lower(Finding.outcome) == outcome.strip().lower())
    first_author = (
        select(StudyAuthor.family)
        .where(StudyAuthor.study_id == Finding.study_id, StudyAuthor.position == 1)
        .scalar_subquery()
    )
    author_count = (
        select(func.count(StudyAuthor.id))
        .where(StudyAuthor.study_id == Finding.study_id)
        .scalar_subquery()
    )
    rows = await session.execute(
        select(Finding, first_author, author_count, Study.year)
        .outerjoin(Study, Finding.study_id == Study.id)
        .where(*where)
        .order_by(Study.year.nulls_last(), Finding.id)
    )
    data = [
        FindingData.from_numbers(finding.id, _label(family, count, year, finding.id), finding)
        for finding, family, count, year in rows
    ]
    prepared = effect_sizes(data, measure)
    try:
        return meta_analyse(prepared.effects, excluded=prepared.excluded)
    except SynthesisError as error:
        detail = error.detail()
        raise CannotPool(
            detail["message"],
            errors=[
                {
                    "field": f"findings[{item['finding_id']}]",
                    "location": "query",
                    "reason": f"{item['label']}: {item['reason']}",
                }
                for item in detail["excluded"]
            ],
            extra={"excluded": detail["excluded"], "matching_findings": len(data)},
        ) from None
