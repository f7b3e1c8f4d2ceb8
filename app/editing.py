"""What every write shares: preconditions on ETags, conflicts, and turning database refusals
into problems a client can act on."""

from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager
from typing import Any

import pydantic_core
from pydantic import BaseModel
from sqlalchemy import ColumnElement, exists, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.exc import StaleDataError

from app.auth.keys import Actor
from app.changes import Change, apply_changes
from app.errors import InvalidParameter, ProblemError, ResourceNotFound
from app.history.service import created, deleted, record
from app.models.base import utcnow
from app.models.enums import AuditAction
from app.responses import etag_for, etag_matches


class Conflict(ProblemError):
    status = 409
    title = "Conflict"


class PreconditionFailed(ProblemError):
    status = 412
    title = "Precondition failed"


class PreconditionRequired(ProblemError):
    status = 428
    title = "Precondition required"


def require_current(if_match: str | None, current: BaseModel) -> None:
    """Refuse a change made without, or against a stale copy of, the current representation."""
    if if_match is None:
        raise PreconditionRequired(
            "send If-Match with the ETag of the current representation (GET it first)"
        )
    if not etag_matches(if_match, etag_for(pydantic_core.to_json(current))):
        raise PreconditionFailed(
            "the resource changed since that ETag was issued; GET it again and retry"
        )


@asynccontextmanager
async def guarded_flush(session: AsyncSession, what: str) -> AsyncIterator[None]:
    """Flush inside a savepoint: a unique clash is a 409, a lost race on the version a 412."""
    try:
        async with session.begin_nested():
            yield
            await session.flush()
    except IntegrityError:
        raise Conflict(f"{what} clashes with an existing record") from None
    except StaleDataError:
        raise PreconditionFailed(
            f"{what} was changed by someone else at the same time; GET it again and retry"
        ) from None


# Bookkeeping and look-up columns: history records the fields people write.
_BOOKKEEPING = frozenset({"id", "created_at", "updated_at", "version", "doi_key", "title_key"})
_NOUNS = {
    "studies": "study",
    "side-effects": "side effect",
    "side-effect-reports": "side-effect report",
}


def noun(resource: str) -> str:
    return _NOUNS.get(resource, resource.removesuffix("s"))


def snapshot(row: Any) -> dict[str, Any]:
    """A row's own fields, as history records them."""
    return {
        column.key: getattr(row, column.key)
        for column in row.__table__.columns
        if column.key not in _BOOKKEEPING
    }


async def save_new(
    session: AsyncSession, actor: Actor, row: Any, *, resource: str, key: Callable[[], str]
) -> None:
    async with guarded_flush(session, f"this {noun(resource)}"):
        session.add(row)
    await record(
        session, actor, resource=resource, resource_id=row.id, resource_key=key(),
        action=AuditAction.create, changes=created(snapshot(row)),
    )  # fmt: skip


async def save_changes(
    session: AsyncSession,
    actor: Actor,
    row: Any,
    values: Mapping[str, Any],
    *,
    resource: str,
    key: Callable[[], str],
) -> dict[str, Change]:
    """Apply the values; if any differ, bump the version and record the change."""
    changes = apply_changes(row, values)
    await save_applied(session, actor, row, changes, resource=resource, key=key)
    return changes


async def save_applied(
    session: AsyncSession,
    actor: Actor,
    row: Any,
    changes: Mapping[str, Change],
    *,
    resource: str,
    key: Callable[[], str],
) -> None:
    """Flush changes already made to a row (and its children) and record them, if any."""
    if not changes:
        return
    row.updated_at = utcnow()  # bumps the version even when only child rows changed
    async with guarded_flush(session, f"{noun(resource)} {key()}"):
        pass
    await record(
        session, actor, resource=resource, resource_id=row.id, resource_key=key(),
        action=AuditAction.update, changes=changes,
    )  # fmt: skip


async def remove(session: AsyncSession, actor: Actor, row: Any, *, resource: str, key: str) -> None:
    before, row_id = snapshot(row), row.id
    async with guarded_flush(session, f"{noun(resource)} {key}"):
        await session.delete(row)
    await record(
        session, actor, resource=resource, resource_id=row_id, resource_key=key,
        action=AuditAction.delete, changes=deleted(before),
    )  # fmt: skip


def refuse_clearing(sent: Mapping[str, Any], required: tuple[str, ...]) -> None:
    for name in required:
        if name in sent and sent[name] is None:
            raise InvalidParameter(name, "cannot be cleared", location="body")


async def refuse_if_used(
    session: AsyncSession, what: str, uses: Mapping[str, ColumnElement[bool]]
) -> None:
    """409 naming every kind of record that still refers to the resource."""
    used_by = [label for label, clause in uses.items() if await session.scalar(select(clause))]
    if used_by:
        raise Conflict(f"{what} is still referred to by {', '.join(used_by)}; remove those first")


async def load_for_change(
    session: AsyncSession, column: Any, value: Any, noun: str, *options: Any
) -> Any:
    """The row to change, found by its slug or id; a 404 naming both otherwise."""
    row = await session.scalar(select(column.class_).where(column == value).options(*options))
    if row is None:
        shown = repr(value) if isinstance(value, str) else value
        raise ResourceNotFound(f"no {noun} has the {column.key} {shown}")
    return row


async def refuse_taken(session: AsyncSession, column: Any, value: Any, noun: str) -> None:
    """409 when another row already holds this unique value."""
    if await session.scalar(select(exists().where(column == value))):
        raise Conflict(f"a {noun} with the {column.key} {value!r} already exists")
