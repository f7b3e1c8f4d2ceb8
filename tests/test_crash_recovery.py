"""An import killed half-way (SIGKILL, as in a crash or an OOM kill) writes nothing, is shown
as failed once the service is back, and can be run again: real server processes."""

import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, create_async_engine

from app.db import async_url
from app.imports import claims, jobs
from app.models import ImportJob
from app.models.base import utcnow
from tests.databases import fresh_database
from tests.served import create_key, prepared, run_command, serving, snapshot

RECORDS = 3000
# Small batches, so progress is reported while the import runs and the kill lands half-way.
JOBS = {"HAIR_EVIDENCE_IMPORT_BACKGROUND_BYTES": "1000", "HAIR_EVIDENCE_IMPORT_BATCH_SIZE": "25"}


def _ris(count: int) -> bytes:
    return "".join(
        f"TY  - JOUR\nTI  - Crash test record {i}\nAU  - Tester, Ada\nPY  - 2024\n"
        f"T2  - Journal of Interrupted Imports\nDO  - 10.5555/crash.{i}\nER  - \n\n"
        for i in range(count)
    ).encode()


def _job(base: str, location: str) -> dict[str, Any]:
    response = httpx.get(f"{base}{location}")
    assert response.status_code in (200, 202), response.text
    job: dict[str, Any] = response.json()
    return job


def _wait(base: str, location: str, until: Any, timeout: float = 120) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while not until(job := _job(base, location)):
        assert time.monotonic() < deadline, job
        time.sleep(0.05)
    return job


@pytest.mark.parametrize("engine_name", ["sqlite", "postgresql"])
def test_an_import_killed_half_way_writes_nothing_and_can_be_run_again(
    engine_name: str, tmp_path: Path
) -> None:
    url = prepared(engine_name, tmp_path, "crash_recovery")
    key = create_key(url)
    headers = {
        "Authorization": f"Bearer {key}",
        "Content-Type": "application/x-research-info-systems",
    }
    before = snapshot(url)

    with serving(url, JOBS) as server:
        response = httpx.post(f"{server.base}/v1/imports", content=_ris(RECORDS), headers=headers)
        assert response.status_code == 202, response.text
        location = response.headers["location"]
        job = _wait(server.base, location, lambda job: job["processed"] >= 200)
        assert job["status"] == "running" and job["processed"] < RECORDS, job
        server.kill()

    assert snapshot(url) == before  # not one record of the killed run

    with serving(url, JOBS) as server:
        interrupted = _job(server.base, location)
        assert interrupted["status"] == "failed", interrupted
        assert "interrupted" in interrupted["error"]
        assert interrupted["finished_at"] is not None

        refused = httpx.post(f"{server.base}{location}/retry")
        assert refused.status_code == 401

        retried = httpx.post(f"{server.base}{location}/retry", headers=headers)
        assert retried.status_code == 202, retried.text
        assert retried.json()["status"] in ("queued", "running")
        done = _wait(server.base, location, lambda job: job["status"] not in ("queued", "running"))
        assert done["status"] == "succeeded", done
        assert done["report"]["counts"]["created"] == RECORDS
        assert done["error"] is None

        again = httpx.post(f"{server.base}{location}/retry", headers=headers)
        assert again.status_code == 409
        assert again.headers["content-type"] == "application/problem+json"
        studies = httpx.get(
            f"{server.base}/v1/studies", params={"q": "Crash test record", "count": "true"}
        )
    assert studies.json()["total"] == RECORDS  # each record once, though it was sent twice


async def _job_row(engine: AsyncEngine, status: str, age: timedelta = timedelta(0)) -> int:
    stamp = utcnow() - age
    async with engine.begin() as connection:
        return int(
            await connection.scalar(
                insert(ImportJob)
                .values(
                    status=status,
                    format="ris",
                    dry_run=False,
                    on_error="reject",
                    request_hash="0" * 64,
                    payload="TY  - JOUR\nER  - \n",
                    processed=0,
                    created_at=stamp,
                    updated_at=stamp,
                )  # fmt: skip
                .returning(ImportJob.id)
            )
        )


async def _status(engine: AsyncEngine, job_id: int) -> str:
    async with engine.connect() as connection:
        status = await connection.scalar(select(ImportJob.status).where(ImportJob.id == job_id))
    return str(status)


@pytest.fixture(params=["sqlite", "postgresql"])
def migrated(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    url = fresh_database(request.param, tmp_path, "claims")
    run_command(url, "db", "upgrade")
    return url


async def test_a_job_is_settled_only_when_no_runner_holds_it(migrated: str) -> None:
    url = migrated
    engine = create_async_engine(async_url(url))
    try:
        running = await _job_row(engine, "running")
        async with AsyncSession(engine) as session, claims.hold(engine, session, running):
            assert not await jobs.settle(engine, running)
            async with AsyncSession(engine) as other:
                with pytest.raises(claims.AlreadyClaimed):
                    async with claims.hold(engine, other, running):
                        pass
        assert await _status(engine, running) == "running"
        assert await jobs.settle(engine, running)  # the runner let go without finishing
        assert await _status(engine, running) == "failed"

        fresh = await _job_row(engine, "queued")
        stale = await _job_row(engine, "queued", age=jobs.QUEUED_GRACE * 2)
        done = await _job_row(engine, "succeeded", age=timedelta(days=1))
        assert await jobs.recover(engine) == [stale]  # a just-queued job's task may not have run
        assert [await _status(engine, job) for job in (fresh, stale, done)] == [
            "queued", "failed", "succeeded",
        ]  # fmt: skip
    finally:
        await engine.dispose()
