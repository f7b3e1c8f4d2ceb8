"""Creating, changing and deleting conditions."""

from sqlalchemy import exists
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.keys import Actor
from app.conditions.schemas import ConditionCreate, ConditionDetail, ConditionUpdate
from app.conditions.service import get_condition
from app.editing import (
    load_for_change,
    refuse_clearing,
    refuse_if_used,
    refuse_taken,
    remove,
    require_current,
    save_changes,
    save_new,
)
from app.models import Condition, Finding

RESOURCE = "conditions"


async def _load(session: AsyncSession, slug: str) -> Condition:
    condition: Condition = await load_for_change(session, Condition.slug, slug, "condition")
    return condition


async def _check_slug_free(session: AsyncSession, slug: str) -> None:
    await refuse_taken(session, Condition.slug, slug, "condition")


async def create_condition(
    session: AsyncSession, actor: Actor, data: ConditionCreate
) -> ConditionDetail:
    await _check_slug_free(session, data.slug)
    condition = Condition(**data.model_dump())
    await save_new(session, actor, condition, resource=RESOURCE, key=lambda: condition.slug)
    return await get_condition(session, condition.slug)


async def update_condition(
    session: AsyncSession, actor: Actor, slug: str, data: ConditionUpdate, if_match: str | None
) -> ConditionDetail:
    condition = await _load(session, slug)
    require_current(if_match, await get_condition(session, slug))
    sent = data.model_dump(exclude_unset=True)
    refuse_clearing(sent, ("slug", "name", "synonyms"))
    if sent.get("slug", slug) != slug:
        await _check_slug_free(session, sent["slug"])
    await save_changes(
        session, actor, condition, sent, resource=RESOURCE, key=lambda: condition.slug
    )
    return await get_condition(session, condition.slug)


async def delete_condition(
    session: AsyncSession, actor: Actor, slug: str, if_match: str | None
) -> None:
    condition = await _load(session, slug)
    require_current(if_match, await get_condition(session, slug))
    await refuse_if_used(
        session,
        f"condition {slug!r}",
        {"findings": exists().where(Finding.condition_id == condition.id)},
    )
    await remove(session, actor, condition, resource=RESOURCE, key=slug)
