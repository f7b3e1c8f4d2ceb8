"""Request bodies over the cap answer 413 before they are read whole, and an answer that
does not start in time answers 503; neither writes anything."""

import asyncio
from collections.abc import AsyncIterator

import httpx
import orjson
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from app.config import Settings
from tests.conftest import client_on_transaction
from tests.dump import dump
from tests.factories import unique

MAX_BODY = 2_000
MAX_IMPORT = 5_000


@pytest.fixture
async def capped(
    engine: AsyncEngine, session: AsyncSession, settings: Settings
) -> AsyncIterator[httpx.AsyncClient]:
    small = settings.model_copy(
        update={
            "max_body_bytes": MAX_BODY,
            "import_max_bytes": MAX_IMPORT,
        }
    )
    async with client_on_transaction(small, engine, session) as client:
        yield client


@pytest.fixture
async def impatient(
    engine: AsyncEngine, session: AsyncSession, settings: Settings
) -> AsyncIterator[httpx.AsyncClient]:
    # Long enough for a cold first request on a loaded machine, short for a test.
    quick = settings.model_copy(update={"request_timeout_seconds": 2.0})
    async with client_on_transaction(quick, engine, session) as client:
        yield client


def _condition(description_length: int) -> dict[str, str]:
    return {"slug": unique("capped"), "name": "Capped", "description": "x" * description_length}


async def test_a_body_over_the_cap_is_refused_with_413_and_writes_nothing(
    capped: httpx.AsyncClient, session: AsyncSession, writer: dict[str, str]
) -> None:
    fits = await capped.post("/v1/conditions", json=_condition(100), headers=writer)
    assert fits.status_code == 201, fits.text
    before = await dump(session)
    refused = await capped.post("/v1/conditions", json=_condition(MAX_BODY), headers=writer)
    assert refused.status_code == 413
    assert refused.headers["content-type"] == "application/problem+json"
    assert f"{MAX_BODY}-byte limit" in refused.json()["detail"]
    assert refused.headers["x-content-type-options"] == "nosniff"
    assert await dump(session) == before


async def test_a_chunked_body_is_cut_off_once_it_passes_the_cap(
    capped: httpx.AsyncClient, session: AsyncSession, writer: dict[str, str]
) -> None:
    body = orjson.dumps(_condition(MAX_BODY * 4))
    sent = 0

    async def chunks() -> AsyncIterator[bytes]:
        nonlocal sent
        for start in range(0, len(body), 500):
            sent += 500
            yield body[start : start + 500]

    before = await dump(session)
    headers = {**writer, "Content-Type": "application/json"}
    refused = await capped.post("/v1/conditions", content=chunks(), headers=headers)
    assert "content-length" not in refused.request.headers  # really chunked
    assert refused.status_code == 413, refused.text
    assert await dump(session) == before


async def test_imports_have_their_own_larger_cap(
    capped: httpx.AsyncClient, writer: dict[str, str]
) -> None:
    record = "TY  - JOUR\nTI  - A record that is long enough\nPY  - 2020\nER  - \n\n"
    larger_than_json_cap = (record * (MAX_BODY // len(record) + 1)).encode()
    assert MAX_BODY < len(larger_than_json_cap) < MAX_IMPORT
    headers = {**writer, "Content-Type": "application/x-research-info-systems"}
    accepted = await capped.post(
        "/v1/imports", content=larger_than_json_cap, params={"dry_run": "true"}, headers=headers
    )
    assert accepted.status_code == 200, accepted.text
    too_large = await capped.post("/v1/imports", content=record.encode() * 200, headers=headers)
    assert too_large.status_code == 413
    assert f"{MAX_IMPORT}-byte limit" in too_large.json()["detail"]


async def test_an_answer_that_does_not_start_in_time_is_abandoned_with_503(
    impatient: httpx.AsyncClient, session: AsyncSession, writer: dict[str, str]
) -> None:
    body = orjson.dumps(_condition(10))

    async def trickle() -> AsyncIterator[bytes]:  # a client that sends its body too slowly
        yield body[:10]
        await asyncio.sleep(6)
        yield body[10:]

    before = await dump(session)
    headers = {**writer, "Content-Type": "application/json"}
    slow = await impatient.post("/v1/conditions", content=trickle(), headers=headers)
    assert slow.status_code == 503
    assert slow.headers["content-type"] == "application/problem+json"
    assert slow.headers["retry-after"] == "5"
    assert "longer than 2 s" in slow.json()["detail"]
    assert await dump(session) == before
    assert (await impatient.get("/v1/conditions")).status_code == 200  # the next one is served
