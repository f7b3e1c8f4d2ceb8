"""The highest id each table has handed out, read and set on each engine.

Ids are part of the API and are never reused: SQLite keeps the high-water mark in
``sqlite_sequence`` (AUTOINCREMENT), PostgreSQL in each serial column's sequence. A restore
sets it from the dump, so rows created afterwards neither collide with restored ids nor
take the id of a row deleted before the dump.
"""

from typing import Any

from sqlalchemy import Column, Integer, Table, func, select, text
from sqlalchemy.ext.asyncio import AsyncConnection


def id_column(table: Table) -> Column[Any] | None:
    """The column the engine numbers by itself: a single integer primary key."""
    columns = list(table.primary_key.columns)
    if len(columns) == 1 and isinstance(columns[0].type, Integer):
        return columns[0]
    return None


async def max_id(connection: AsyncConnection, column: Column[Any]) -> int:
    return int(await connection.scalar(select(func.max(column))) or 0)


async def read_last_id(connection: AsyncConnection, table: Table, column: Column[Any]) -> int:
    if connection.dialect.name == "postgresql":
        # NULL while the sequence has handed out nothing.
        handed_out = await connection.scalar(
            text(
                "SELECT pg_sequence_last_value("
                "CAST(pg_get_serial_sequence(:table, :column) AS regclass))"
            ),
            {"table": table.name, "column": column.name},
        )
    else:
        handed_out = await connection.scalar(
            text("SELECT seq FROM sqlite_sequence WHERE name = :table"), {"table": table.name}
        )
    return max(int(handed_out or 0), await max_id(connection, column))


async def set_last_id(
    connection: AsyncConnection, table: Table, column: Column[Any], last_id: int
) -> None:
    """The next row the engine numbers gets ``last_id + 1``."""
    if connection.dialect.name == "postgresql":
        await connection.execute(
            text(
                "SELECT setval(CAST(pg_get_serial_sequence(:table, :column) AS regclass), "
                ":value, :called)"
            ),
            # A sequence cannot be set to 0: "1, not yet called" hands out 1 next.
            {"table": table.name, "column": column.name, "value": max(last_id, 1),
             "called": last_id > 0},
        )  # fmt: skip
        return
    # The table's own inserts have set its row to the largest id restored.
    parameters = {"table": table.name, "seq": last_id}
    await connection.execute(text("DELETE FROM sqlite_sequence WHERE name = :table"), parameters)
    if last_id > 0:
        await connection.execute(
            text("INSERT INTO sqlite_sequence (name, seq) VALUES (:table, :seq)"), parameters
        )
