"""Creating, changing and deleting secondary sources (a study's source follows its study)."""

from typing import Any

from sqlalchemy import exists
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.keys import Actor
from app.editing import (
    Conflict,
    load_for_change,
    refuse_clearing,
    refuse_if_used,
    refuse_taken,
    remove,
    require_current,
    save_changes,
    save_new,
)
from app.models import Caution, Finding, SideEffectReport, Source
from app.models.enums import SourceKind
from app.sources.schemas import SourceCreate, SourceRead, SourceUpdate
from app.sources.service import get_source

RESOURCE = "sources"


def _values(sent: dict[str, Any]) -> dict[str, Any]:
    return {**sent, **({"url": str(sent["url"])} if sent.get("url") else {})}


async def _check_key_free(session: AsyncSession, key: str) -> None:
    await refuse_taken(session, Source.key, key, "source")


async def _load_secondary(session: AsyncSession, source_id: int) -> Source:
    source: Source = await load_for_change(session, Source.id, source_id, "source")
    if source.kind == SourceKind.study:
        raise Conflict(f"source {source_id} is a study's own source; change the study instead")
    return source


async def create_source(session: AsyncSession, actor: Actor, data: SourceCreate) -> SourceRead:
    await _check_key_free(session, data.key)
    source = Source(kind=SourceKind.article.value, **_values(data.model_dump()))
    await save_new(session, actor, source, resource=RESOURCE, key=lambda: str(source.id))
    return await get_source(session, source.id)


async def update_source(
    session: AsyncSession, actor: Actor, source_id: int, data: SourceUpdate, if_match: str | None
) -> SourceRead:
    source = await _load_secondary(session, source_id)
    require_current(if_match, await get_source(session, source_id))
    sent = data.model_dump(exclude_unset=True)
    refuse_clearing(sent, ("key", "title"))
    if sent.get("key", source.key) != source.key:
        await _check_key_free(session, sent["key"])
    await save_changes(
        session, actor, source, _values(sent), resource=RESOURCE, key=lambda: str(source_id)
    )
    return await get_source(session, source_id)


async def delete_source(
    session: AsyncSession, actor: Actor, source_id: int, if_match: str | None
) -> None:
    source = await _load_secondary(session, source_id)
    require_current(if_match, await get_source(session, source_id))
    await refuse_if_used(
        session,
        f"source {source_id}",
        {
            "findings": exists().where(Finding.source_id == source_id),
            "side-effect reports": exists().where(SideEffectReport.source_id == source_id),
            "cautions": exists().where(Caution.source_id == source_id),
        },
    )
    await remove(session, actor, source, resource=RESOURCE, key=str(source_id))
