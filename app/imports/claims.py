"""Who is running an import job: a lock its runner holds for as long as the runner lives.

A job row that says "running" cannot tell a live runner from one killed half-way, and a
heartbeat cannot be written on SQLite while the import holds the write lock. So the runner
holds a lock that is released by whoever outlives it: PostgreSQL releases an advisory lock
with the import's transaction or connection, the kernel releases a file lock with the
process. Anyone can then ask whether a job still has a runner.
"""

import fcntl
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession

# The first key of PostgreSQL's two-key advisory locks: the space of import job ids. The
# two-key space never overlaps the one-key lock that serialises imports.
_LOCK_SPACE = 0x1B0B


class AlreadyClaimed(Exception):
    """Another runner holds the job."""


def _lock_folder(engine: AsyncEngine) -> Path | None:
    database = engine.url.database
    if engine.dialect.name != "sqlite" or not database or database == ":memory:":
        return None  # an in-memory database dies with its only process: nothing to recover
    return Path(f"{database}.jobs")


def _open_lock(folder: Path, job_id: int) -> int:
    folder.mkdir(exist_ok=True)
    return os.open(folder / f"{job_id}.lock", os.O_RDWR | os.O_CREAT, 0o600)


def _try_lock(descriptor: int) -> bool:
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


def _release(folder: Path, job_id: int, descriptor: int) -> None:
    # Unlinked while still locked: a checker that opened the old file learns nothing wrong,
    # because the job's final status is committed before the lock goes.
    (folder / f"{job_id}.lock").unlink(missing_ok=True)
    os.close(descriptor)


@asynccontextmanager
async def hold(engine: AsyncEngine, session: AsyncSession, job_id: int) -> AsyncIterator[None]:
    """Hold the job's lock for the block; `session` is the import's, whose transaction is
    open. Raises AlreadyClaimed when another runner has it."""
    if engine.dialect.name == "postgresql":
        taken = await session.scalar(
            text("SELECT pg_try_advisory_xact_lock(:space, :job)"),
            {"space": _LOCK_SPACE, "job": job_id},
        )
        if not taken:
            raise AlreadyClaimed(job_id)
        yield
        return
    folder = _lock_folder(engine)
    if folder is None:
        yield
        return
    descriptor = _open_lock(folder, job_id)
    if not _try_lock(descriptor):
        os.close(descriptor)
        raise AlreadyClaimed(job_id)
    try:
        yield
    finally:
        _release(folder, job_id, descriptor)


@asynccontextmanager
async def orphaned(
    engine: AsyncEngine, connection: AsyncConnection, job_id: int
) -> AsyncIterator[bool]:
    """Whether the job has no runner; while the block runs, none can start, so the job's
    status can be settled. `connection` must be in a transaction."""
    if engine.dialect.name == "postgresql":
        free = await connection.scalar(
            text("SELECT pg_try_advisory_xact_lock(:space, :job)"),
            {"space": _LOCK_SPACE, "job": job_id},
        )
        yield bool(free)
        return
    folder = _lock_folder(engine)
    if folder is None:
        yield False
        return
    descriptor = _open_lock(folder, job_id)
    if not _try_lock(descriptor):
        os.close(descriptor)
        yield False
        return
    try:
        yield True
    finally:
        _release(folder, job_id, descriptor)
