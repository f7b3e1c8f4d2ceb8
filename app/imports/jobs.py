"""Imports too large to answer at once run as background jobs in the serving process."""

import asyncio
import logging

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.auth.keys import Actor
from app.config import Settings
from app.errors import ProblemError
from app.imports import service
from app.metrics.instruments import Metrics
from app.models import ImportJob
from app.models.base import utcnow
from app.models.enums import ImportStatus

logger = logging.getLogger(__name__)

# Records processed so far by the jobs this process runs; the database has the rest.
progress: dict[int, int] = {}
_tasks: set[asyncio.Task[None]] = set()


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
    sessionmaker: async_sessionmaker[AsyncSession], job_id: int, **values: object
) -> None:
    async with sessionmaker() as session, session.begin():
        await session.execute(
            update(ImportJob).where(ImportJob.id == job_id).values(updated_at=utcnow(), **values)
        )


async def run(
    sessionmaker: async_sessionmaker[AsyncSession],
    settings: Settings,
    job_id: int,
    actor: Actor,
    metrics: Metrics,
) -> None:
    """Run a queued job to the end, recording success, rejection or failure on the job."""
    await _set(sessionmaker, job_id, status=ImportStatus.running.value, started_at=utcnow())
    progress[job_id] = 0
    shares_progress = False

    async def report_progress(processed: int) -> None:
        progress[job_id] = processed
        if shares_progress:  # other workers can read it; SQLite has one writer at a time
            await _set(sessionmaker, job_id, processed=processed)

    try:
        async with sessionmaker() as session, session.begin():
            shares_progress = session.get_bind().dialect.name == "postgresql"
            job = await session.get(ImportJob, job_id)
            assert job is not None and job.payload is not None
            report = await service.run(session, job, job.payload, actor, settings, report_progress)
            service.finish(job, report)
        metrics.count_import(ImportStatus(job.status), report.counts)
    except ProblemError as error:  # the file as a whole could not be read
        metrics.count_import(ImportStatus.rejected)
        await _set(
            sessionmaker, job_id, status=ImportStatus.rejected.value, error=error.detail,
            finished_at=utcnow(), payload=None,
        )  # fmt: skip
    except Exception:
        metrics.count_import(ImportStatus.failed)
        logger.exception("import job %s failed", job_id)
        await _set(
            sessionmaker, job_id, status=ImportStatus.failed.value,
            error="the import failed on the server; nothing was written", finished_at=utcnow(),
        )  # fmt: skip
    finally:
        progress.pop(job_id, None)
