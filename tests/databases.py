"""The two real databases the suite runs on: a SQLite file and the local PostgreSQL server."""

import asyncio
import os
from pathlib import Path

import asyncpg
import pytest
from sqlalchemy.engine import make_url

POSTGRES_ADMIN_URL = os.environ.get(
    "HAIR_EVIDENCE_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)
# CI sets this so that an unreachable server fails the run instead of skipping half of it.
POSTGRES_REQUIRED = os.environ.get("HAIR_EVIDENCE_REQUIRE_POSTGRES", "") == "1"
# Databases carry the run's process id, so two runs on one server (a developer's and CI's)
# never drop each other's; each run drops its own at the end.
RUN_SUFFIX = f"_{os.getpid()}"
_created: list[str] = []


async def _recreate(name: str, *, create: bool = True) -> None:
    connection = await asyncpg.connect(POSTGRES_ADMIN_URL, timeout=5)
    try:
        await connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        if create:
            await connection.execute(f'CREATE DATABASE "{name}"')
    finally:
        await connection.close()


def drop_created_databases() -> None:
    for name in _created:
        try:
            asyncio.run(_recreate(name, create=False))
        except (OSError, asyncpg.PostgresError, TimeoutError):
            pass  # the server went away; nothing left to tidy
    _created.clear()


def fresh_postgres_database(name: str) -> str:
    """An empty database on the local server, or a skip (a failure where it is required)."""
    name += RUN_SUFFIX
    try:
        asyncio.run(_recreate(name))
    except (OSError, asyncpg.PostgresError, TimeoutError) as error:
        message = f"PostgreSQL at {POSTGRES_ADMIN_URL} is unreachable: {error!r}"
        if POSTGRES_REQUIRED:
            pytest.fail(message)
        pytest.skip(message)
    if name not in _created:
        _created.append(name)
    url = make_url(POSTGRES_ADMIN_URL).set(database=name)
    return url.render_as_string(hide_password=False)


def fresh_sqlite_database(folder: Path, name: str) -> str:
    return f"sqlite:///{folder / f'{name}.db'}"


def fresh_database(engine: str, folder: Path, name: str) -> str:
    if engine == "postgresql":
        return fresh_postgres_database(name)
    return fresh_sqlite_database(folder, name)
