"""Resolving the slugs and ids that parameters and bodies name: a 422 naming the field when
nothing matches (a 404 when the resource is the one in the path)."""

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.errors import InvalidParameter, ResourceNotFound
from app.models import Condition, SideEffect, Source, Study, Treatment, TreatmentComponent


async def _resolve(
    session: AsyncSession,
    column: Any,
    match: Any,
    value: Any,
    noun: str,
    field: str | None,
    location: str,
) -> int:
    found = await session.scalar(select(column).where(match == value))
    if found is None:
        described = f"no {noun} has the {match.key} {value!r}"
        if field is not None:
            raise InvalidParameter(field, described, location=location)
        raise ResourceNotFound(described)
    return int(found)


async def resolve_treatment_id(
    session: AsyncSession, slug: str, *, field: str | None, location: str = "query"
) -> int:
    return await _resolve(session, Treatment.id, Treatment.slug, slug, "treatment", field, location)


async def resolve_condition_id(
    session: AsyncSession, slug: str, *, field: str | None, location: str = "query"
) -> int:
    return await _resolve(session, Condition.id, Condition.slug, slug, "condition", field, location)


async def resolve_side_effect_id(
    session: AsyncSession, slug: str, *, field: str | None, location: str = "query"
) -> int:
    return await _resolve(
        session, SideEffect.id, SideEffect.slug, slug, "side effect", field, location
    )


async def check_study_id(
    session: AsyncSession, study_id: int, *, field: str, location: str = "query"
) -> int:
    return await _resolve(session, Study.id, Study.id, study_id, "study", field, location)


async def check_source_id(
    session: AsyncSession, source_id: int, *, field: str, location: str = "query"
) -> int:
    return await _resolve(session, Source.id, Source.id, source_id, "source", field, location)


async def source_of_study(session: AsyncSession, study_id: int) -> int:
    source_id = await session.scalar(select(Source.id).where(Source.study_id == study_id))
    assert source_id is not None, "every study has its source"
    return int(source_id)


async def involved_treatment_ids(session: AsyncSession, treatment_id: int) -> list[int]:
    """The treatment and every combination that includes it."""
    combinations = await session.scalars(
        select(TreatmentComponent.combination_id).where(
            TreatmentComponent.component_id == treatment_id
        )
    )
    return [treatment_id, *combinations]
