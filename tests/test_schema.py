"""The schema as the databases hold it: every foreign key and filter column is indexed."""

from typing import Any

from sqlalchemy import inspect
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

# Columns the API filters or sorts on, beyond foreign keys.
FILTERED = {
    "treatments": ["slug", "kind"],
    "conditions": ["slug"],
    "studies": ["design", "year", "evidence_level", "doi_key", "pmid"],
    "findings": ["kind", "direction", "certainty", "comparator_type", "outcome"],
    "side_effects": ["slug"],
    "sources": ["kind", "key"],
}


def _leading_columns(connection: Connection) -> dict[str, set[str]]:
    inspector = inspect(connection)
    leading: dict[str, set[str]] = {}
    for table in inspector.get_table_names():
        firsts: set[str] = set()
        for index in inspector.get_indexes(table):
            firsts.add(index["column_names"][0])
        for unique in inspector.get_unique_constraints(table):
            firsts.add(unique["column_names"][0])
        primary = inspector.get_pk_constraint(table)["constrained_columns"]
        if primary:
            firsts.add(primary[0])
        leading[table] = firsts
    return leading


def _foreign_keys(connection: Connection) -> list[tuple[str, str]]:
    inspector = inspect(connection)
    return [
        (table, foreign_key["constrained_columns"][0])
        for table in inspector.get_table_names()
        for foreign_key in inspector.get_foreign_keys(table)
    ]


async def test_every_foreign_key_and_filter_leads_an_index(engine: AsyncEngine) -> None:
    async with engine.connect() as connection:
        leading: dict[str, Any] = await connection.run_sync(_leading_columns)
        foreign_keys = await connection.run_sync(_foreign_keys)
    assert len(foreign_keys) >= 15
    wanted = [*foreign_keys, *((t, c) for t, columns in FILTERED.items() for c in columns)]
    unindexed = [(table, column) for table, column in wanted if column not in leading[table]]
    assert unindexed == []
