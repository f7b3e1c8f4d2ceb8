"""Writes and imports are rate-limited per client address and per key (429, Retry-After)."""

from collections.abc import AsyncIterator

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from app.config import Settings
from app.main import create_app
from tests.conftest import client_on_transaction
from tests.factories import unique


@pytest.fixture
async def limited(
    engine: AsyncEngine, session: AsyncSession, settings: Settings
) -> AsyncIterator[httpx.AsyncClient]:
    """The app allowing 3 writes and 2 imports a minute, on the test's transaction."""
    tight = settings.model_copy(
        update={"rate_limit_writes": "3/minute", "rate_limit_imports": "2/minute"}
    )
    async with client_on_transaction(tight, engine, session) as client:
        yield client


def _condition() -> dict[str, str]:
    return {"slug": unique("limited"), "name": "Fictional thinning"}


async def test_writes_over_the_limit_get_429_with_retry_after(
    limited: httpx.AsyncClient, writer: dict[str, str]
) -> None:
    for _ in range(3):
        response = await limited.post("/v1/conditions", json=_condition(), headers=writer)
        assert response.status_code == 201, response.text
    refused = await limited.post("/v1/conditions", json=_condition(), headers=writer)
    assert refused.status_code == 429
    assert refused.headers["content-type"] == "application/problem+json"
    assert 1 <= int(refused.headers["retry-after"]) <= 60
    assert "retry in" in refused.json()["detail"]
    # Reads are not counted.
    assert (await limited.get("/v1/conditions")).status_code == 200


async def test_guessing_keys_is_throttled_by_address(limited: httpx.AsyncClient) -> None:
    statuses = [
        (
            await limited.post(
                "/v1/conditions", json=_condition(), headers={"Authorization": "Bearer nope"}
            )
        ).status_code
        for _ in range(4)
    ]
    assert statuses == [401, 401, 401, 429]


async def test_imports_have_their_own_tighter_limit(
    limited: httpx.AsyncClient, writer: dict[str, str]
) -> None:
    ris = "TY  - JOUR\nTI  - A limited fictional trial {}\nER  - \n"
    codes = [
        (
            await limited.post(
                "/v1/imports", content=ris.format(unique("t")), headers=writer,
                params={"dry_run": "true"},
            )
        ).status_code
        for _ in range(3)
    ]  # fmt: skip
    assert codes == [200, 200, 429]
    # The write allowance is separate: a write still passes.
    response = await limited.post("/v1/conditions", json=_condition(), headers=writer)
    assert response.status_code == 201


def test_every_operation_that_needs_a_key_documents_429() -> None:
    schema = create_app(Settings(database_url="sqlite://")).openapi()
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            if "401" in operation["responses"]:
                assert "429" in operation["responses"], (method, path)
