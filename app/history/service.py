"""The audit history: every write, by whom, field by field."""

from collections.abc import Mapping
from typing import Any

import pydantic_core
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.keys import Actor
from app.changes import Change
from app.errors import ResourceNotFound
from app.history.schemas import AuditEntryRead, FieldChange
from app.models import AuditEntry
from app.models.enums import AuditAction
from app.pagination import Page, PageParams, SortKey, fetch_page


def jsonable_changes(changes: Mapping[str, Change]) -> dict[str, dict[str, Any]]:
    """``{field: {"from": old, "to": new}}`` with every value as JSON can hold it."""
    return {
        name: {
            "from": pydantic_core.to_jsonable_python(old),
            "to": pydantic_core.to_jsonable_python(new),
        }
        for name, (old, new) in changes.items()
    }


async def record(
    session: AsyncSession,
    actor: Actor,
    *,
    resource: str,
    resource_id: int,
    resource_key: str,
    action: AuditAction,
    changes: Mapping[str, Change],
) -> None:
    session.add(
        AuditEntry(
            resource=resource,
            resource_id=resource_id,
            resource_key=resource_key,
            action=action.value,
            key_id=actor.key_id,
            actor=actor.name,
            changes=jsonable_changes(changes),
        )
    )
    await session.flush()


def created(values: Mapping[str, Any]) -> dict[str, Change]:
    return {name: (None, value) for name, value in values.items()}


def deleted(values: Mapping[str, Any]) -> dict[str, Change]:
    return {name: (value, None) for name, value in values.items()}


async def list_history(
    session: AsyncSession, resource: str, key: str, params: PageParams
) -> Page[AuditEntryRead]:
    """Entries for the resource now or once known by ``key`` (a slug or an id), oldest first."""
    ids = select(AuditEntry.resource_id).where(
        AuditEntry.resource == resource, AuditEntry.resource_key == key
    )
    statement = select(*AuditEntry.__table__.c).where(
        AuditEntry.resource == resource, AuditEntry.resource_id.in_(ids)
    )
    page = await fetch_page(session, statement, [SortKey(AuditEntry.id)], params)
    if not page.rows and params.cursor is None:
        raise ResourceNotFound(f"no history for {resource} {key!r}")
    data = [
        AuditEntryRead(
            id=row.id,
            resource=row.resource,
            resource_id=row.resource_id,
            action=row.action,
            actor=row.actor,
            at=row.at,
            changes={
                name: FieldChange.model_validate(change) for name, change in row.changes.items()
            },
        )
        for row in page.rows
    ]
    return Page(data=data, next_cursor=page.next_cursor, total=page.total)
