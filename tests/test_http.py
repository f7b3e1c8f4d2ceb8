"""HTTP behaviour around the resources: CORS, server errors, database outages."""

from collections.abc import AsyncIterator

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from app.config import Settings
from app.db import create_engine, create_sessionmaker
from app.main import create_app
from app.reads import create_reader


def _client(settings: Settings, engine: AsyncEngine) -> httpx.AsyncClient:
    app = create_app(settings, engine=engine)
    app.state.engine = engine
    app.state.sessionmaker = create_sessionmaker(engine)
    app.state.reader = create_reader(engine)  # the production reader, on committed data
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app, raise_app_exceptions=False),
        base_url="http://testserver",
    )


@pytest.fixture
async def cors_client(settings: Settings, engine: AsyncEngine) -> AsyncIterator[httpx.AsyncClient]:
    allowed = settings.model_copy(update={"cors_origins": ["https://app.example"]})
    async with _client(allowed, engine) as client:
        yield client


async def test_cors_allows_only_listed_origins(cors_client: httpx.AsyncClient) -> None:
    allowed = await cors_client.get("/v1/treatments", headers={"Origin": "https://app.example"})
    assert allowed.headers["access-control-allow-origin"] == "https://app.example"
    assert "ETag" in allowed.headers["access-control-expose-headers"]

    other = await cors_client.get("/v1/treatments", headers={"Origin": "https://evil.example"})
    assert "access-control-allow-origin" not in other.headers

    preflight = await cors_client.options(
        "/v1/studies",
        headers={"Origin": "https://app.example", "Access-Control-Request-Method": "GET"},
    )
    assert preflight.status_code == 200
    assert preflight.headers["access-control-allow-origin"] == "https://app.example"


async def test_no_cors_headers_by_default(client: httpx.AsyncClient) -> None:
    response = await client.get("/v1/treatments", headers={"Origin": "https://app.example"})
    assert "access-control-allow-origin" not in response.headers


async def test_database_outage_is_a_503_problem(settings: Settings) -> None:
    down = settings.model_copy(update={"database_url": "postgresql://postgres@127.0.0.1:1/nowhere"})
    engine = create_engine(down)
    try:
        async with _client(down, engine) as client:
            response = await client.get("/v1/treatments")
            ready = await client.get("/readyz")
    finally:
        await engine.dispose()
    assert response.status_code == 503
    assert response.headers["content-type"] == "application/problem+json"
    assert response.headers["retry-after"] == "5"
    assert ready.status_code == 503
    assert "postgres" not in response.text and "Traceback" not in response.text


async def test_head_answers_like_get_without_a_body(client: httpx.AsyncClient) -> None:
    get = await client.get("/v1/treatments/microneedling")
    head = await client.head("/v1/treatments/microneedling")
    assert head.status_code == 200
    assert head.content == b""
    assert head.headers["etag"] == get.headers["etag"]
    assert head.headers["content-length"] == get.headers["content-length"]
    assert (await client.head("/v1/treatments/nope")).status_code == 404
