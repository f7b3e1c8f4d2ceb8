"""Slug look-ups that other features' filters share."""

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.errors import InvalidParameter, ResourceNotFound
from app.models import Treatment, TreatmentComponent


async def resolve_treatment_id(session: AsyncSession, slug: str, *, field: str | None) -> int:
    """The id of a treatment; an unknown slug in a filter (``field``) is a 422, else a 404."""
    treatment_id = await session.scalar(select(Treatment.id).where(Treatment.slug == slug))
    if treatment_id is None:
        if field is not None:
            raise InvalidParameter(field, f"no treatment has the slug {slug!r}")
        raise ResourceNotFound(f"no treatment has the slug {slug!r}")
    return treatment_id


async def involved_treatment_ids(session: AsyncSession, treatment_id: int) -> list[int]:
    """The treatment and every combination that includes it."""
    combinations = await session.scalars(
        select(TreatmentComponent.combination_id).where(
            TreatmentComponent.component_id == treatment_id
        )
    )
    return [treatment_id, *combinations]
