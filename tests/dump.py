"""A whole-database dump for proving that a refused request wrote nothing."""

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.models import Base

# An import's own record is kept even when the import is refused: it answers a retry.
NOT_EVIDENCE = frozenset({"import_jobs"})


async def dump(session: AsyncSession) -> dict[str, list[Any]]:
    tables = [t for t in Base.metadata.sorted_tables if t.name not in NOT_EVIDENCE]
    dumped = {}
    for table in tables:
        rows = await session.execute(select(table).order_by(*table.primary_key.columns))
        dumped[table.name] = [tuple(row) for row in rows]
    return dumped
