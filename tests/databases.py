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


async def _recreate(name: str) -> None:
    connection = await asyncpg.connect(POSTGRES_ADMIN_URL, timeout=5)
    try:
        await connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await connection.execute(f'CREATE DATABASE "{name}"')
    finally:
        await connection.close()


def fresh_postgres_database(name: str) -> str:
    """An empty database on the local server, or a skip (a failure where it is required)."""
    try:
        asyncio.run(_recreate(name))
    except (OSError, asyncpg.PostgresError, TimeoutError) as error:
        message = f"PostgreSQL at {POSTGRES_ADMIN_URL} is unreachable: {error!r}"
        if POSTGRES_REQUIRED:
            pytest.fail(message)
        pytest.skip(message)
    url = make_url(POSTGRES_ADMIN_URL).set(database=name)
    return url.render_as_string(hide_password=False)


def fresh_sqlite_database(folder: Path, name: str) -> str:
    return f"sqlite:///{folder / f'{name}.db'}"


def fresh_database(engine: str, folder: Path, name: str) -> str:
    if engine == "postgresql":
        return fresh_postgres_database(name)
    return fresh_sqlite_database(folder, name)
