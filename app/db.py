"""Engines and sessions: one async engine per process, one session per request."""

from collections.abc import AsyncIterator
from typing import Annotated, Any

from fastapi import Depends, Request
from sqlalchemy import event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

import app.search.index  # noqa: F401  (registers the hook that keeps search current)
from app.config import Settings

_ASYNC_DRIVERS = {"sqlite": "sqlite+aiosqlite", "postgresql": "postgresql+asyncpg"}


def async_url(database_url: str) -> URL:
    """Map any spelling of the configured URL onto the async driver for its engine."""
    url = make_url(database_url.replace("postgres://", "postgresql://", 1))
    return url.set(drivername=_ASYNC_DRIVERS[url.get_backend_name()])


def create_engine(settings: Settings, *, url: str | None = None) -> AsyncEngine:
    target = async_url(url or settings.database_url)
    options: dict[str, Any] = {"echo": settings.sql_echo}
    if target.get_backend_name() == "postgresql":
        options |= {"pool_size": settings.db_pool_size, "pool_pre_ping": True}
    engine = create_async_engine(target, **options)
    if target.get_backend_name() == "sqlite":
        _configure_sqlite(engine)
    return engine


def _configure_sqlite(engine: AsyncEngine) -> None:
    # The sqlite3 module's own transaction handling breaks SAVEPOINTs; SQLAlchemy's documented
    # recipe hands transaction control to SQLAlchemy instead.
    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA busy_timeout = 5000")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(connection: Any) -> None:
        connection.exec_driver_sql("BEGIN")


def create_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False, autoflush=False)


async def get_session(request: Request) -> AsyncIterator[AsyncSession]:
    """The request's unit of work: services flush, this commits or rolls back."""
    sessionmaker: async_sessionmaker[AsyncSession] = request.app.state.sessionmaker
    async with sessionmaker() as session:
        try:
            yield session
            await session.commit()
        except BaseException:
            await session.rollback()
            raise


# scope="function": commit before the response is sent, so a client never sees a success
# that the database then refuses.
SessionDep = Annotated[AsyncSession, Depends(get_session, scope="function")]

# For responses streamed after the route returns (exports): the session lives until the
# last byte is sent. Only reads use it.
StreamingSessionDep = Annotated[AsyncSession, Depends(get_session)]
