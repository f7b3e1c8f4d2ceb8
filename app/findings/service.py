"""Finding queries: one statement per page, every reference joined in."""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from app.errors import ResourceNotFound
from app.findings.schemas import FindingNumbers, FindingRead
from app.links import (
    condition_href,
    finding_href,
    source_href,
    study_href,
    treatment_href,
)
from app.lookups import (
    check_source_id,
    check_study_id,
    involved_treatment_ids,
    resolve_condition_id,
    resolve_treatment_id,
)
from app.models import Condition, Finding, Source, Study, Treatment
from app.models.enums import Certainty, ComparatorType, Direction, FindingKind
from app.pagination import AnyRow, Page, PageParams, SortKey, fetch_page
from app.reads import Query

_Intervention = aliased(Treatment, name="intervention")
_Comparator = aliased(Treatment, name="comparator")

_NUMBER_FIELDS = tuple(FindingNumbers.model_fields)

# Plain columns, not ORM entities: rows go straight into the response schema.
_SELECT = (
    select(
        *Finding.__table__.c,
        _Intervention.slug.label("intervention_slug"),
        _Intervention.name.label("intervention_name"),
        _Comparator.slug.label("comparator_slug"),
        _Comparator.name.label("comparator_name"),
        Condition.slug.label("condition_slug"),
        Condition.name.label("condition_name"),
        Study.title.label("study_title"),
        Study.year.label("study_year"),
        Source.kind.label("source_kind"),
        Source.title.label("source_title"),
    )
    .join(_Intervention, Finding.intervention_id == _Intervention.id)
    .outerjoin(_Comparator, Finding.comparator_id == _Comparator.id)
    .outerjoin(Condition, Finding.condition_id == Condition.id)
    .outerjoin(Study, Finding.study_id == Study.id)
    .join(Source, Finding.source_id == Source.id)
)

_SORT_KEYS = [SortKey(Finding.id)]

FINDINGS_OF_STUDY = Query(
    _SELECT.where(Finding.study_id == bindparam("study_id")).order_by(Finding.id)
)


@dataclass(frozen=True, slots=True)
class FindingFilters:
    treatment: str | None = None
    comparator: str | None = None
    condition: str | None = None
    kind: FindingKind | None = None
    direction: Direction | None = None
    certainty: Certainty | None = None
    study: int | None = None
    source: int | None = None


def _ref(slug: str | None, name: str | None, href: Callable[[str], str]) -> dict[str, Any] | None:
    return None if slug is None else {"slug": slug, "name": name, "href": href(slug)}


def finding_json(row: Any) -> dict[str, Any]:
    """A finding row as ``FindingRead`` serialises it, built without validating (hot reads;
    tests/test_reads.py holds it to the schema)."""
    study_id, source_id = row.study_id, row.source_id
    intervention, comparator, condition = (
        row.intervention_slug,
        row.comparator_slug,
        row.condition_slug,
    )
    return {
        "id": row.id,
        "kind": row.kind,
        "study": None
        if study_id is None
        else {
            "id": study_id,
            "title": row.study_title,
            "year": row.study_year,
            "href": study_href(study_id),
        },
        "source": {
            "id": source_id,
            "kind": row.source_kind,
            "title": row.source_title,
            "href": source_href(source_id),
        },
        "intervention": _ref(intervention, row.intervention_name, treatment_href),
        "comparator_type": row.comparator_type,
        "comparator": _ref(comparator, row.comparator_name, treatment_href),
        "condition": _ref(condition, row.condition_name, condition_href),
        "outcome": row.outcome,
        "direction": row.direction,
        "certainty": row.certainty,
        "summary": row.summary,
        "quote": row.quote,
        "numbers": {name: getattr(row, name) for name in _NUMBER_FIELDS},
        "links": {
            "self": finding_href(row.id),
            "study": None if study_id is None else study_href(study_id),
            "source": source_href(source_id),
            "intervention": treatment_href(intervention),
            "comparator": comparator and treatment_href(comparator),
            "condition": condition and condition_href(condition),
        },
    }


def to_read(row: AnyRow) -> FindingRead:
    return FindingRead.model_validate(finding_json(row))


async def _filtered(session: AsyncSession, filters: FindingFilters) -> Select[Any]:
    statement = _SELECT
    if filters.treatment is not None:
        treatment_id = await resolve_treatment_id(session, filters.treatment, field="treatment")
        ids = await involved_treatment_ids(session, treatment_id)
        statement = statement.where(Finding.intervention_id.in_(ids))
    if filters.comparator is not None:
        statement = statement.where(await _comparator_clause(session, filters.comparator))
    if filters.condition is not None:
        condition_id = await resolve_condition_id(session, filters.condition, field="condition")
        statement = statement.where(Finding.condition_id == condition_id)
    if filters.study is not None:
        await check_study_id(session, filters.study, field="study")
        statement = statement.where(Finding.study_id == filters.study)
    if filters.source is not None:
        await check_source_id(session, filters.source, field="source")
        statement = statement.where(Finding.source_id == filters.source)
    for column, value in (
        (Finding.kind, filters.kind),
        (Finding.direction, filters.direction),
        (Finding.certainty, filters.certainty),
    ):
        if value is not None:
            statement = statement.where(column == value.value)
    return statement


async def _comparator_clause(session: AsyncSession, value: str) -> Any:
    if value in (ComparatorType.placebo, ComparatorType.none):
        return Finding.comparator_type == value
    comparator_id = await resolve_treatment_id(session, value, field="comparator")
    return Finding.comparator_id == comparator_id


async def list_findings(
    session: AsyncSession, filters: FindingFilters, params: PageParams
) -> Page[FindingRead]:
    statement = await _filtered(session, filters)
    page = await fetch_page(session, statement, _SORT_KEYS, params)
    return Page(
        data=[to_read(row) for row in page.rows], next_cursor=page.next_cursor, total=page.total
    )


async def get_finding(session: AsyncSession, finding_id: int) -> FindingRead:
    row = (await session.execute(_SELECT.where(Finding.id == finding_id))).first()
    if row is None:
        raise ResourceNotFound(f"no finding has the id {finding_id}")
    return to_read(row)


async def findings_where(session: AsyncSession, condition: Any) -> list[FindingRead]:
    """Every finding meeting a condition, in id order (for summaries, not for paging)."""
    rows = await session.execute(_SELECT.where(condition).order_by(Finding.id))
    return [to_read(row) for row in rows]
