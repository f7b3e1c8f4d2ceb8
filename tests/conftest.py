"""Fixtures: each test runs once per database, inside a transaction that is rolled back."""

from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from app import migrate
from app.auth.keys import create_key
from app.config import Settings
from app.db import create_engine, get_session
from app.main import create_app
from app.models.enums import KeyScope
from app.reads import SessionReader, get_reader
from app.resources import resource_dir
from app.seed import seed
from tests.databases import drop_created_databases, fresh_database

# The article the seed quotes; seed_data keeps a copy so a clone can prove its quotes alone.
ARTICLE = resource_dir("seed_data") / "source-article.txt"
SHARED_ARTICLE = Path(__file__).resolve().parents[2] / "shared" / "source-article.txt"


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    drop_created_databases()


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> str:
    """A database migrated to head: one SQLite file, one PostgreSQL database."""
    url = fresh_database(request.param, tmp_path_factory.mktemp("db"), "hair_evidence_test")
    migrate.upgrade("head", url)
    return url


@pytest.fixture(scope="session")
def settings(database_url: str) -> Settings:
    # Tests write far faster than any client may; tests/test_rate_limits.py sets its own.
    unlimited = "1000000/minute"
    return Settings(
        database_url=database_url, rate_limit_writes=unlimited, rate_limit_imports=unlimited
    )


@pytest.fixture(scope="session")
async def engine(settings: Settings) -> AsyncIterator[AsyncEngine]:
    """The engine, with the article's seed committed once for every test to read."""
    engine = create_engine(settings)
    async with AsyncSession(engine) as session, session.begin():
        await seed(session, settings)
    yield engine
    await engine.dispose()


@pytest.fixture
async def session(engine: AsyncEngine) -> AsyncIterator[AsyncSession]:
    """A session inside an outer transaction; its commits are savepoints, all rolled back."""
    async with engine.connect() as connection:
        transaction = await connection.begin()
        session = AsyncSession(
            bind=connection, expire_on_commit=False, join_transaction_mode="create_savepoint"
        )
        try:
            yield session
        finally:
            await session.close()
            await transaction.rollback()


@asynccontextmanager
async def client_on_transaction(
    settings: Settings, engine: AsyncEngine, session: AsyncSession
) -> AsyncIterator[httpx.AsyncClient]:
    """Real HTTP through httpx into an application made with ``settings``, whose requests
    run on the test's transaction."""
    app = create_app(settings, engine=engine)
    app.state.engine = engine

    async def _test_session() -> AsyncIterator[AsyncSession]:
        # What the test staged is the state a request finds; then, as app.db.get_session does,
        # commit on success and roll back what a refused request did.
        await session.commit()
        try:
            yield session
            await session.commit()
        except BaseException:
            await session.rollback()
            raise

    app.dependency_overrides[get_session] = _test_session
    app.dependency_overrides[get_reader] = reader_on(session)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield client


@pytest.fixture
async def client(
    engine: AsyncEngine, session: AsyncSession, settings: Settings
) -> AsyncIterator[httpx.AsyncClient]:
    """Real HTTP through httpx into the application, on the test's transaction."""
    async with client_on_transaction(settings, engine, session) as client:
        yield client


def reader_on(session: AsyncSession) -> Callable[[], Awaitable[SessionReader]]:
    """A ``get_reader`` override: reads see the test's uncommitted transaction
    (tests/test_reads.py proves the drivers' readers return the same rows)."""

    async def _reader() -> SessionReader:
        return SessionReader(session)

    return _reader


@pytest.fixture(scope="session")
def article() -> str:
    return ARTICLE.read_text(encoding="utf-8")


@pytest.fixture
def backend(database_url: str) -> Iterator[str]:
    yield "postgresql" if database_url.startswith("postgresql") else "sqlite"


async def _key_headers(session: AsyncSession, name: str, scope: KeyScope) -> dict[str, str]:
    key = await create_key(session, name, scope)
    return {"Authorization": f"Bearer {key}"}


@pytest.fixture
async def writer(session: AsyncSession) -> dict[str, str]:
    """Authorization headers of a fresh `write` key."""
    return await _key_headers(session, "test-writer", KeyScope.write)


@pytest.fixture
async def admin(session: AsyncSession) -> dict[str, str]:
    """Authorization headers of a fresh `admin` key."""
    return await _key_headers(session, "test-admin", KeyScope.admin)
