"""Migrations bring an empty database to head and back, and never drift from the models."""

import asyncio
from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine

from app import migrate
from app.db import async_url
from app.migrate import include_object
from app.models import Base
from tests.databases import fresh_database


def _diff(connection: Connection) -> list[Any]:
    context = MigrationContext.configure(
        connection,
        opts={"compare_type": True, "render_as_batch": True, "include_object": include_object},
    )
    return list(compare_metadata(context, Base.metadata))


def _tables(connection: Connection) -> set[str]:
    # SQLite's FTS5 shadow tables belong to the full-text index, not to the models.
    return {
        name for name in inspect(connection).get_table_names() if not name.startswith("search_fts")
    }


def _run(url: str, check: Any) -> Any:
    async def inner() -> Any:
        engine = create_async_engine(async_url(url))
        try:
            async with engine.connect() as connection:
                return await connection.run_sync(check)
        finally:
            await engine.dispose()

    return asyncio.run(inner())


@pytest.mark.parametrize("engine_name", ["sqlite", "postgresql"])
def test_upgrade_matches_models_and_downgrade_empties(engine_name: str, tmp_path: Path) -> None:
    url = fresh_database(engine_name, tmp_path, "hair_evidence_migrations")

    migrate.upgrade("head", url)
    assert _run(url, _tables) == {*Base.metadata.tables, "alembic_version"}
    assert _run(url, _diff) == []

    migrate.downgrade("base", url)
    assert _run(url, _tables) == {"alembic_version"}

    migrate.upgrade("head", url)
    assert _run(url, _diff) == []
