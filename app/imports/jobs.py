"""Imports too large to answer at once run as background jobs in the serving process.

A job's records are written in one transaction, so a runner killed half-way leaves none of
them. Its row would still say "running": `settle` and `recover` mark such a job failed once
no runner holds its claim, and keep its file so that it can be run again.
"""

import asyncio
import logging
from datetime import timedelta

from sqlalchemy import select, update
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from app.auth.keys import Actor
from app.config import Settings
from app.errors import ProblemError
from app.imports import claims, service
from app.metrics.instruments import Metrics
from app.models import ImportJob
from app.models.base import utcnow
from app.models.enums import ImportStatus

logger = logging.getLogger(__name__)

# Records processed so far by the jobs this process runs; the database has the rest.
progress: dict[int, int] = {}
_tasks: set[asyncio.Task[None]] = set()

UNFINISHED = (ImportStatus.queued.value, ImportStatus.running.value)
INTERRUPTED = "the import was interrupted before it finished; nothing was written; retry it"
# A queued job is claimed as soon as its task starts; one unclaimed for this long never will be.
QUEUED_GRACE = timedelta(seconds=60)


def start(
    sessionmaker: async_sessionmaker[AsyncSession],
    settings: Settings,
    job_id: int,
    actor: Actor,
    metrics: Metrics,
) -> None:
    task = asyncio.create_task(run(sessionmaker, settings, job_id, actor, metrics))
    _tasks.add(task)  # keep a reference until it ends
    task.add_done_callback(_tasks.discard)


async def _set(
    sessionmaker: async_sessionmaker[AsyncSession],
    job_id: int,
    *,
    expect: tuple[str, ...] | None = None,
    **values: object,
) -> bool:
    """Update the job (only while its status is one of `expect`); whether it did."""
    statement = update(ImportJob).where(ImportJob.id == job_id)
    if expect is not None:
        statement = statement.where(ImportJob.status.in_(expect))
    async with sessionmaker() as session, session.begin():
        result = await session.execute(statement.values(updated_at=utcnow(), **values))
    return bool(getattr(result, "rowcount", 0))


def _engine(sessionmaker: async_sessionmaker[AsyncSession]) -> AsyncEngine:
    engine = sessionmaker.kw["bind"]
    assert isinstance(engine, AsyncEngine)
    return engine


async def run(
    sessionmaker: async_sessionmaker[AsyncSession],
    settings: Settings,
    job_id: int,
    actor: Actor,
    metrics: Metrics,
) -> None:
    """Run a queued job to the end, recording success, rejection or failure on the job."""
    engine = _engine(sessionmaker)
    try:
        async with sessionmaker() as session, claims.hold(engine, session, job_id):
            await _run_claimed(sessionmaker, session, settings, job_id, actor, metrics)
    except claims.AlreadyClaimed:
        logger.info("import job %s is run by another process", job_id)
    finally:
        progress.pop(job_id, None)


async def _run_claimed(
    sessionmaker: async_sessionmaker[AsyncSession],
    session: AsyncSession,
    settings: Settings,
    job_id: int,
    actor: Actor,
    metrics: Metrics,
) -> None:
    started = await _set(
        sessionmaker, job_id, expect=(ImportStatus.queued.value,),
        status=ImportStatus.running.value, started_at=utcnow(), error=None,
    )  # fmt: skip
    if not started:  # settled as interrupted meanwhile, or already run
        return
    progress[job_id] = 0
    shares_progress = session.get_bind().dialect.name == "postgresql"

    async def report_progress(processed: int) -> None:
        progress[job_id] = processed
        if shares_progress:  # other workers can read it; SQLite has one writer at a time
            await _set(sessionmaker, job_id, processed=processed)

    try:
        job = await session.get(ImportJob, job_id)
        assert job is not None and job.payload is not None
        report = await service.run(session, job, job.payload, actor, settings, report_progress)
        service.finish(job, report)
        await session.commit()  # the records and the job's outcome, together
        metrics.count_import(ImportStatus(job.status), report.counts)
    except ProblemError as error:  # the file as a whole could not be read
        metrics.count_import(ImportStatus.rejected)
        await session.rollback()  # first: on SQLite it holds the only write lock
        await _set(
            sessionmaker, job_id, status=ImportStatus.rejected.value, error=error.detail,
            finished_at=utcnow(), payload=None,
        )  # fmt: skip
    except Exception:
        metrics.count_import(ImportStatus.failed)
        logger.exception("import job %s failed", job_id)
        await session.rollback()
        await _set(
            sessionmaker, job_id, status=ImportStatus.failed.value,
            error="the import failed on the server; nothing was written", finished_at=utcnow(),
        )  # fmt: skip


async def settle(engine: AsyncEngine, job_id: int) -> bool:
    """Mark the job failed if it is unfinished and no runner holds it; whether it did."""
    async with engine.connect() as connection:
        row = (
            await connection.execute(
                select(ImportJob.status, ImportJob.updated_at).where(ImportJob.id == job_id)
            )
        ).one_or_none()
        await connection.rollback()
    if row is None or row.status not in UNFINISHED:
        return False
    if row.status == ImportStatus.queued.value and utcnow() - row.updated_at < QUEUED_GRACE:
        return False
    async with engine.begin() as connection, claims.orphaned(engine, connection, job_id) as free:
        if not free:
            return False
        result = await connection.execute(
            update(ImportJob)
            .where(ImportJob.id == job_id, ImportJob.status.in_(UNFINISHED))
            .values(
                status=ImportStatus.failed.value,
                error=INTERRUPTED,
                finished_at=utcnow(),
                updated_at=utcnow(),
            )
        )
    return bool(result.rowcount)


async def recover(engine: AsyncEngine) -> list[int]:
    """At start-up: mark failed every job whose runner died (a crash, a kill, a restart)."""
    async with engine.connect() as connection:
        unfinished = (
            await connection.scalars(select(ImportJob.id).where(ImportJob.status.in_(UNFINISHED)))
        ).all()
        await connection.rollback()
    settled = []
    for job_id in unfinished:
        try:
            if await settle(engine, job_id):
                settled.append(job_id)
        except OperationalError:  # another process's import holds SQLite's write lock
            logger.warning("import job %s could not be checked at start-up", job_id)
    if settled:
        logger.warning("import jobs %s were interrupted; marked failed", settled)
    return settled
