"""What every write shares: preconditions on ETags, conflicts, and turning database refusals
into problems a client can act on."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pydantic_core
from pydantic import BaseModel
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.exc import StaleDataError

from app.errors import ProblemError
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
